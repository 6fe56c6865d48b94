"""What no schema can say about the deploy files: that they run the process layout the service runs
natively (the e2e tests start the same commands), the queues the settings route tasks to, one beat only,
probes that exist, and the metrics folder and token where they belong. Every check is shown to refuse a
broken copy of the files, so none of them passes by accident.
"""

import copy
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import Resolver404, resolve

from .documents import DEPLOY, InterpolationError, compose_document, env_example, interpolated, k8s_documents

QUEUES = sorted(queue.name for queue in settings.CELERY_TASK_QUEUES)


# --- What the schemas cannot say -----------------------------------------------------------------
#
# Each check reads a DeployFiles (the deploy folder parsed) and returns what is wrong with it, so the
# same check runs on the real files (nothing wrong) and on a broken copy (something named).


@dataclass
class DeployFiles:
    compose: dict
    manifests: list[dict]
    k8s_folder: set[str]  # the YAML files in deploy/k8s
    procfile: dict[str, str]
    image_cmd: list[str]  # the Dockerfile's last CMD
    image_healthcheck: str  # the Dockerfile's HEALTHCHECK command


def load_deploy_files() -> DeployFiles:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    [cmd] = re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    [healthcheck] = re.findall(r"^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$", dockerfile, re.MULTILINE)
    procfile = (DEPLOY / "Procfile.demo").read_text().splitlines()
    return DeployFiles(
        compose=compose_document(),
        manifests=[document for _, document in k8s_documents()],
        k8s_folder={path.name for path in (DEPLOY / "k8s").glob("*.yaml")},
        procfile=dict(line.split(": ", 1) for line in procfile if line and not line.startswith("#")),
        image_cmd=json.loads(cmd),
        image_healthcheck=" ".join(json.loads(healthcheck)),
    )


FILES = load_deploy_files()
# The manifest that holds placeholder secrets: in the folder as documentation, never applied.
SECRET_EXAMPLE = "secret.example.yaml"
APP_IMAGE = "ooh"  # what every manifest names the image; kustomization's images: sets the registry


def find(files: DeployFiles, kind: str, name: str | None = None) -> dict | None:
    for document in files.manifests:
        if document["kind"] == kind and (name is None or document["metadata"]["name"] == name):
            return document
    return None


def pod(files: DeployFiles, deployment: str) -> dict:
    found = find(files, "Deployment", deployment)
    return found["spec"]["template"]["spec"] if found else {"containers": []}


def container(files: DeployFiles, deployment: str, name: str) -> dict | None:
    return next((c for c in pod(files, deployment)["containers"] if c["name"] == name), None)


def expanded_command(item: dict) -> list[str]:
    """A container's command with Kubernetes' $(VAR) expanded from its own env list."""
    env = {e["name"]: e["value"] for e in item.get("env", []) if "value" in e}
    return [
        re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), arg)
        for arg in item.get("command", [])
    ]


def program(argv: list[str]) -> list[str]:
    """argv with the program's folder dropped (.venv/bin/celery in the Procfile, celery in the image)."""
    return [Path(argv[0]).name, *argv[1:]] if argv else []


def option(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv[:-1] else None


def seconds(duration: str) -> int:
    """A Compose duration in whole seconds (the files use "30s", "2m")."""
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smh])", duration))


def check_kustomization(files: DeployFiles) -> list[str]:
    problems = []
    kustomization = find(files, "Kustomization")
    listed = kustomization["resources"] if kustomization else []
    expected = files.k8s_folder - {"kustomization.yaml", SECRET_EXAMPLE}
    problems += [
        f"{name} is in deploy/k8s but not in the kustomization" for name in sorted(expected - set(listed))
    ]
    problems += [f"{name} is listed but not in deploy/k8s" for name in listed if name not in files.k8s_folder]
    if SECRET_EXAMPLE in listed:
        problems.append(f"{SECRET_EXAMPLE} (placeholder secrets) is listed, so it would be applied")
    if len(listed) != len(set(listed)):
        problems.append("a resource is listed twice")
    return problems


def _web_argv(files: DeployFiles) -> list[str]:
    """The web process: the image's CMD is `sh -c "exec uvicorn ..."`."""
    shell = files.image_cmd
    if shell[:2] != ["sh", "-c"]:
        return shell
    return shlex.split(shell[-1].removeprefix("exec "))


def check_web(files: DeployFiles) -> list[str]:
    problems = []
    argv = _web_argv(files)
    if argv[:2] != ["uvicorn", "ooh.asgi:application"]:
        problems.append(f"the image's CMD runs {argv[:2]}, not uvicorn ooh.asgi:application")
    if program(shlex.split(files.procfile.get("web", "")))[:2] != ["uvicorn", "ooh.asgi:application"]:
        problems.append("Procfile.demo's web is not uvicorn ooh.asgi:application")
    web = container(files, "ooh-web", "web")
    if web is None:
        return [*problems, "ooh-web has no web container"]
    if web["image"] != APP_IMAGE:
        problems.append(f"ooh-web runs {web['image']}, not the application image")
    if "command" in web or "args" in web:
        problems.append("ooh-web overrides the image's CMD")
    if "command" in files.compose["services"]["web"]:
        problems.append("compose's web overrides the image's CMD")
    graceful = int(option(argv, "--timeout-graceful-shutdown") or 0)
    if not graceful:
        problems.append("uvicorn has no --timeout-graceful-shutdown: open sockets hold it until SIGKILL")
    pre_stop = int(
        web.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", ["", "", "0"])[-1]
    )
    if graceful + pre_stop >= pod(files, "ooh-web")["terminationGracePeriodSeconds"]:
        problems.append("ooh-web is killed before uvicorn's graceful shutdown ends")
    if graceful >= seconds(files.compose["services"]["web"].get("stop_grace_period", "10s")):
        problems.append("compose kills web before uvicorn's graceful shutdown ends")
    return problems


def check_workers(files: DeployFiles) -> list[str]:
    problems = []
    worker = container(files, "ooh-worker", "worker")
    commands = {
        "ooh-worker": expanded_command(worker) if worker else [],
        "compose's worker": files.compose["services"].get("worker", {}).get("command", []),
        "Procfile.demo's worker": shlex.split(files.procfile.get("worker", "")),
    }
    if worker and worker["image"] != APP_IMAGE:
        problems.append(f"ooh-worker runs {worker['image']}, not the application image")
    for where, argv in commands.items():
        argv = program(argv)
        if argv[:4] != ["celery", "-A", "ooh", "worker"]:
            problems.append(f"{where} is not celery -A ooh worker: {argv[:4]}")
        queues = sorted((option(argv, "--queues") or "").split(","))
        if queues != QUEUES:
            problems.append(f"{where} consumes {queues}, the settings route tasks to {QUEUES}")
    return problems


def check_beat(files: DeployFiles) -> list[str]:
    problems = []
    deployment = find(files, "Deployment", "ooh-beat")
    if deployment is None:
        return ["no ooh-beat Deployment"]
    if deployment["spec"].get("replicas", 1) != 1:
        problems.append("ooh-beat runs more than one replica: periodic tasks would be sent twice")
    if deployment["spec"].get("strategy", {}).get("type") != "Recreate":
        problems.append("ooh-beat rolls out with two beats at once (strategy is not Recreate)")
    beat = container(files, "ooh-beat", "beat")
    if len(pod(files, "ooh-beat")["containers"]) != 1 or beat is None or beat["image"] != APP_IMAGE:
        problems.append("ooh-beat's pod is not the one beat container of the application image")
    commands = {
        "ooh-beat": expanded_command(beat) if beat else [],
        "compose's beat": files.compose["services"].get("beat", {}).get("command", []),
        "Procfile.demo's beat": shlex.split(files.procfile.get("beat", "")),
    }
    for where, argv in commands.items():
        if program(argv)[:4] != ["celery", "-A", "ooh", "beat"]:
            problems.append(f"{where} is not celery -A ooh beat")
    if files.compose["services"].get("beat", {}).get("deploy", {}).get("replicas") != 1:
        problems.append("compose's beat is not pinned to one replica")
    return problems


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def check_probes(files: DeployFiles) -> list[str]:
    problems = []
    web = container(files, "ooh-web", "web") or {}
    # Readiness follows the database, Redis and the broker; liveness only the process (an outage must
    # take pods out of the Service, not restart them all).
    expected = {"readinessProbe": "/readyz", "livenessProbe": "/healthz", "startupProbe": "/healthz"}
    for probe, path in expected.items():
        actual = web.get(probe, {}).get("httpGet", {}).get("path")
        if actual != path:
            problems.append(f"ooh-web's {probe} asks {actual}, not {path}")
    compose_check = " ".join(files.compose["services"]["web"]["healthcheck"]["test"])
    for where, command in (("compose's web", compose_check), ("the image", files.image_healthcheck)):
        paths = re.findall(r"http://127\.0\.0\.1:8000(/[^'\"\s]*)", command)
        if paths != ["/healthz"]:
            problems.append(f"{where} health check asks {paths}, not /healthz")
    asked = {web.get(p, {}).get("httpGet", {}).get("path") for p in expected}
    problems += [
        f"{path} is no route of the service" for path in sorted(asked - {None}) if not _resolves(path)
    ]
    return problems


def check_processes(files: DeployFiles) -> list[str]:
    procfile = set(files.procfile)
    deployments = {
        d["metadata"]["name"].removeprefix("ooh-") for d in files.manifests if d["kind"] == "Deployment"
    }
    services = set(files.compose["services"])
    problems = []
    if procfile != {"web", "worker", "beat"}:
        problems.append(f"Procfile.demo runs {sorted(procfile)}, not web, worker and beat")
    if deployments != procfile:
        problems.append(f"deploy/k8s deploys {sorted(deployments)}, Procfile.demo runs {sorted(procfile)}")
    if not procfile <= services:
        problems.append(f"compose lacks {sorted(procfile - services)}")
    return problems


def check_metrics(files: DeployFiles) -> list[str]:
    problems = []
    config = (find(files, "ConfigMap", "ooh-config") or {}).get("data", {})
    secret = (find(files, "Secret", "ooh-secrets") or {}).get("stringData", {})
    example = env_example()
    for where, values in (("the ConfigMap", config), ("deploy/.env.example", example)):
        # OOH_VAR_DIR is an emptyDir in the pods and a tmpfs in compose: empty at every start.
        if not values.get("PROMETHEUS_MULTIPROC_DIR", "").startswith(values.get("OOH_VAR_DIR", "") + "/"):
            problems.append(f"{where}: PROMETHEUS_MULTIPROC_DIR is not inside OOH_VAR_DIR")
    if "OOH_METRICS_TOKEN" not in secret:
        problems.append("the Secret example has no OOH_METRICS_TOKEN")
    if "OOH_METRICS_TOKEN" in config:
        problems.append("OOH_METRICS_TOKEN is in the ConfigMap, readable by anyone who reads config")
    return problems


CHECKS = [
    check_kustomization,
    check_web,
    check_workers,
    check_beat,
    check_probes,
    check_processes,
    check_metrics,
]


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_the_deploy_files_pass(check):
    assert check(FILES) == []


def _set_env(deployment, name, value):
    def change(files):
        worker = container(files, deployment, deployment.removeprefix("ooh-"))
        [entry] = [e for e in worker["env"] if e["name"] == name]
        entry["value"] = value

    return change


def _compose_command(service, flag, value):
    def change(files):
        argv = files.compose["services"][service]["command"]
        argv[argv.index(flag) + 1] = value

    return change


BROKEN = [
    # (check, change to a copy of the files, id)
    (
        check_kustomization,
        lambda f: find(f, "Kustomization")["resources"].remove("deployment-beat.yaml"),
        "manifest-not-listed",
    ),
    (check_kustomization, lambda f: f.k8s_folder.add("hpa.yaml"), "new-manifest-not-listed"),
    (
        check_kustomization,
        lambda f: find(f, "Kustomization")["resources"].append("pdb.yaml"),
        "listed-file-missing",
    ),
    (
        check_kustomization,
        lambda f: find(f, "Kustomization")["resources"].append(SECRET_EXAMPLE),
        "secret-example-listed",
    ),
    (
        check_web,
        lambda f: f.image_cmd.__setitem__(
            -1, "exec gunicorn ooh.wsgi:application --timeout-graceful-shutdown 20"
        ),
        "image-not-uvicorn",
    ),
    (
        check_web,
        lambda f: f.image_cmd.__setitem__(-1, "exec uvicorn ooh.asgi:application"),
        "no-graceful-shutdown",
    ),
    (
        check_web,
        lambda f: container(f, "ooh-web", "web").update(command=["daphne", "ooh.asgi:application"]),
        "command-overridden",
    ),
    (check_web, lambda f: container(f, "ooh-web", "web").update(image="nginx"), "wrong-image"),
    (
        check_web,
        lambda f: pod(f, "ooh-web").update(terminationGracePeriodSeconds=20),
        "killed-before-shutdown-ends",
    ),
    (
        check_web,
        lambda f: f.compose["services"]["web"].update(stop_grace_period="10s"),
        "compose-kills-early",
    ),
    (check_web, lambda f: f.procfile.update(web=".venv/bin/uvicorn ooh.wsgi:application"), "procfile-web"),
    (check_workers, _set_env("ooh-worker", "WORKER_QUEUES", "default,escalations"), "k8s-queue-missing"),
    (
        check_workers,
        _set_env("ooh-worker", "WORKER_QUEUES", "default,escalations,notifications,celery"),
        "k8s-extra-queue",
    ),
    (check_workers, _compose_command("worker", "--queues", "default"), "compose-queue-missing"),
    (
        check_workers,
        lambda f: f.procfile.update(worker=".venv/bin/celery -A ooh worker"),
        "procfile-no-queues",
    ),
    (
        check_workers,
        lambda f: container(f, "ooh-worker", "worker")["command"].__setitem__(2, "other"),
        "k8s-wrong-app",
    ),
    (check_beat, lambda f: find(f, "Deployment", "ooh-beat")["spec"].update(replicas=2), "two-replicas"),
    (check_beat, lambda f: find(f, "Deployment", "ooh-beat")["spec"].pop("strategy"), "rolling-update"),
    (check_beat, lambda f: f.compose["services"]["beat"]["deploy"].update(replicas=2), "compose-two-beats"),
    (
        check_beat,
        lambda f: pod(f, "ooh-beat")["containers"].append(dict(container(f, "ooh-beat", "beat"), name="b2")),
        "two-containers",
    ),
    (check_beat, lambda f: f.procfile.update(beat=".venv/bin/celery -A ooh worker"), "procfile-no-beat"),
    (
        check_probes,
        lambda f: container(f, "ooh-web", "web")["readinessProbe"]["httpGet"].update(path="/ready"),
        "missing-route",
    ),
    (
        check_probes,
        lambda f: container(f, "ooh-web", "web")["livenessProbe"]["httpGet"].update(path="/readyz"),
        "liveness-on-readyz",
    ),
    (check_probes, lambda f: container(f, "ooh-web", "web").pop("startupProbe"), "no-startup-probe"),
    (
        check_probes,
        lambda f: f.compose["services"]["web"]["healthcheck"].update(
            test=["CMD", "curl", "http://127.0.0.1:8000/health"]
        ),
        "compose-health",
    ),
    (check_probes, lambda f: setattr(f, "image_healthcheck", "curl http://127.0.0.1:8000/"), "image-health"),
    (check_processes, lambda f: f.procfile.update(flower="celery -A ooh flower"), "procfile-extra"),
    (check_processes, lambda f: f.manifests.remove(find(f, "Deployment", "ooh-beat")), "deployment-missing"),
    (check_processes, lambda f: f.compose["services"].pop("worker"), "compose-service-missing"),
    (
        check_metrics,
        lambda f: find(f, "ConfigMap", "ooh-config")["data"].update(PROMETHEUS_MULTIPROC_DIR="/tmp/prom"),
        "multiproc-outside-var",
    ),
    (
        check_metrics,
        lambda f: find(f, "Secret", "ooh-secrets")["stringData"].pop("OOH_METRICS_TOKEN"),
        "token-not-secret",
    ),
    (
        check_metrics,
        lambda f: find(f, "ConfigMap", "ooh-config")["data"].update(OOH_METRICS_TOKEN="t"),
        "token-in-config",
    ),
]


@pytest.mark.parametrize(("check", "change"), [b[:2] for b in BROKEN], ids=[b[2] for b in BROKEN])
def test_each_check_refuses_a_broken_copy(check, change):
    broken = copy.deepcopy(FILES)
    change(broken)
    assert check(broken) != []
    assert check(FILES) == []  # the change was made to the copy only


def test_a_compose_file_without_its_required_password_is_refused():
    env = {k: v for k, v in env_example().items() if k != "POSTGRES_PASSWORD"}
    with pytest.raises(InterpolationError, match="POSTGRES_PASSWORD"):
        interpolated(yaml.safe_load((DEPLOY / "compose.yaml").read_text()), env)
