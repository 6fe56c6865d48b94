"""The deploy files, validated as their tools would: deploy/compose.yaml against the Compose
Specification's schema after Compose's own interpolation, every manifest of deploy/k8s against the
Kubernetes 1.37 strict schema of its kind, the kustomization against the fields it may use (schemas
vendored in tests/deploy/schemas, see its README). Then what no schema can say: that the files run the
process layout the service runs natively (the e2e tests start the same commands), the queues the
settings route tasks to, one beat only, and probes that exist.

Every check is shown to fail on a broken copy of the file, so none of them passes by accident.
"""

import copy
import json
import re
import shlex
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.conf import settings
from django.urls import Resolver404, resolve
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
K8S_SCHEMAS = SCHEMAS / "kubernetes-v1.37"
QUEUES = sorted(queue.name for queue in settings.CELERY_TASK_QUEUES)


# --- Compose's interpolation ----------------------------------------------------------------------

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


class InterpolationError(ValueError):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    """One string as Compose interpolates it: $$ is a dollar; ${VAR}, $VAR; ${VAR:-default} (unset or
    empty), ${VAR-default} (unset); ${VAR:?error} and ${VAR?error} refuse the file."""

    def replace(match: re.Match) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("named")
        op, arg = match.group("op"), match.group("arg") or ""
        value = env.get(name)
        empty_counts = op is not None and op.startswith(":")
        missing = value is None or (empty_counts and value == "")
        if op in (":-", "-"):
            return arg if missing else value
        if op in (":?", "?"):
            if missing:
                raise InterpolationError(f"{name}: {arg or 'required'}")
            return value
        return value or ""

    return _VARIABLE.sub(replace, text)


def interpolated(node, env):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    return node


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("$A/b", {"A": "x"}, "x/b"),
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A-d}", {"A": ""}, ""),
        ("${A-d}", {}, "d"),
        ("${A:?set A}", {"A": "v"}, "v"),
        ("celery@$$HOSTNAME", {}, "celery@$HOSTNAME"),
        ("${A:-${}", {}, "${"),
    ],
)
def test_interpolation_follows_compose(text, env, expected):
    assert interpolate(text, env) == expected


@pytest.mark.parametrize(("text", "env"), [("${A:?set A}", {}), ("${A:?set A}", {"A": ""}), ("${A?x}", {})])
def test_a_required_variable_missing_refuses_the_file(text, env):
    with pytest.raises(InterpolationError):
        interpolate(text, env)


def env_example() -> dict[str, str]:
    """deploy/.env.example, the file the operator copies to deploy/.env: compose's variables."""
    values = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def compose_document() -> dict:
    return interpolated(yaml.safe_load((DEPLOY / "compose.yaml").read_text()), env_example())


# --- Schemas --------------------------------------------------------------------------------------


def validator(schema_path: Path, registry: Registry | None = None):
    schema = json.loads(schema_path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry or Registry(), format_checker=cls.FORMAT_CHECKER)


def compose_errors(document) -> list[str]:
    return [e.message for e in validator(SCHEMAS / "compose-spec.json").iter_errors(document)]


def k8s_documents() -> list[tuple[str, dict]]:
    documents = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                documents.append((path.name, document))
    return documents


def _k8s_registry() -> Registry:
    definitions = Resource.from_contents(json.loads((K8S_SCHEMAS / "_definitions.json").read_text()))
    return definitions @ Registry()


def k8s_errors(document) -> list[str]:
    kind, api_version = document["kind"], document["apiVersion"]
    if kind == "Kustomization":
        schema = SCHEMAS / "kustomization.json"
        return [e.message for e in validator(schema).iter_errors(document)]
    group, _, version = api_version.rpartition("/")
    name = f"{kind.lower()}-{group.split('.')[0]}-{version}" if group else f"{kind.lower()}-{version}"
    schema_path = K8S_SCHEMAS / f"{name}.json"
    assert schema_path.exists(), f"no vendored schema for {kind} {api_version} ({schema_path.name})"
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(schema_path, _k8s_registry()).iter_errors(document)
    ]


def test_compose_file_is_valid_under_the_compose_specification():
    assert compose_errors(compose_document()) == []


@pytest.mark.parametrize(
    ("name", "document"), k8s_documents(), ids=[f"{n}:{d['kind']}" for n, d in k8s_documents()]
)
def test_every_kubernetes_manifest_is_valid_for_its_kind(name, document):
    assert k8s_errors(document) == []


def _broken_compose(change):
    document = copy.deepcopy(compose_document())
    change(document)
    return document


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["services"]["web"].update(restart_policy="always"),  # not a Compose key
        lambda d: d["services"]["worker"].update(stop_grace_period=120),  # a duration is a string
        lambda d: d["services"]["nginx"].update(ports="8080:8080"),  # a list, not a string
        lambda d: d.update(volumez={}),
    ],
    ids=["unknown-service-key", "duration-as-number", "ports-not-a-list", "unknown-top-level-key"],
)
def test_the_compose_check_refuses_a_broken_file(change):
    assert compose_errors(_broken_compose(change)) != []


def _manifest(kind, name=None):
    for _, document in k8s_documents():
        if document["kind"] == kind and (name is None or document["metadata"]["name"] == name):
            return copy.deepcopy(document)
    raise LookupError(kind)


@pytest.mark.parametrize(
    ("kind", "name", "change"),
    [
        ("Deployment", "ooh-web", lambda d: d["spec"].update(replicas="two")),
        ("Deployment", "ooh-web", lambda d: d["spec"]["template"]["spec"]["containers"][0].update(cmd=["x"])),
        ("Deployment", "ooh-worker", lambda d: d["spec"].pop("selector")),
        ("Service", None, lambda d: d["spec"]["ports"][0].update(port="http")),
        ("Ingress", None, lambda d: d["spec"]["rules"][0]["http"]["paths"][0].pop("backend")),
        ("Kustomization", None, lambda d: d.update(bases=["../base"])),
    ],
    ids=[
        "replicas-not-int",
        "unknown-container-field",
        "no-selector",
        "port-not-int",
        "path-without-backend",
        "kustomize-bases",
    ],
)
def test_the_kubernetes_check_refuses_a_broken_manifest(kind, name, change):
    document = _manifest(kind, name)
    change(document)
    assert k8s_errors(document) != []


# --- What the schemas cannot say -----------------------------------------------------------------


def kustomized_resources() -> list[str]:
    return _manifest("Kustomization")["resources"]


def test_the_kustomization_lists_every_manifest_but_the_secret_example():
    manifests = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {
        "kustomization.yaml",
        "secret.example.yaml",
    }
    listed = kustomized_resources()
    assert sorted(listed) == sorted(manifests)
    assert "secret.example.yaml" not in listed  # placeholder secrets are never applied


def container(deployment: str, name: str) -> dict:
    pod = _manifest("Deployment", deployment)["spec"]["template"]["spec"]
    [found] = [c for c in pod["containers"] if c["name"] == name]
    return found


def expanded_command(item: dict) -> list[str]:
    """A container's command with Kubernetes' $(VAR) expanded from its own env list."""
    env = {e["name"]: e["value"] for e in item.get("env", []) if "value" in e}
    return [re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), arg) for arg in item["command"]]


def option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def image_command() -> list[str]:
    """The image's CMD (the web process), as the Dockerfile's last CMD gives it."""
    [cmd] = re.findall(r"^CMD (\[.*\])$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    return json.loads(cmd)


def test_web_runs_the_asgi_application_with_a_graceful_shutdown_shorter_than_the_grace_period():
    web = container("ooh-web", "web")
    assert "command" not in web  # the image's CMD
    shell = image_command()[-1]
    argv = shlex.split(shell.removeprefix("exec "))
    assert argv[:2] == ["uvicorn", "ooh.asgi:application"]
    graceful = int(option(argv, "--timeout-graceful-shutdown"))
    pod = _manifest("Deployment", "ooh-web")["spec"]["template"]["spec"]
    pre_stop = 5  # the preStop sleep before uvicorn is told to stop
    assert graceful + pre_stop < pod["terminationGracePeriodSeconds"]
    compose_web = compose_document()["services"]["web"]
    assert graceful < int(compose_web["stop_grace_period"].removesuffix("s"))


def test_workers_consume_exactly_the_queues_the_settings_route_tasks_to():
    worker = expanded_command(container("ooh-worker", "worker"))
    assert worker[:4] == ["celery", "-A", "ooh", "worker"]
    assert sorted(option(worker, "--queues").split(",")) == QUEUES
    compose_worker = compose_document()["services"]["worker"]["command"]
    assert compose_worker[:4] == ["celery", "-A", "ooh", "worker"]
    assert sorted(option(compose_worker, "--queues").split(",")) == QUEUES
    procfile = dict(
        line.split(": ", 1) for line in (DEPLOY / "Procfile.demo").read_text().splitlines() if line
    )
    assert sorted(option(shlex.split(procfile["worker"]), "--queues").split(",")) == QUEUES


def test_there_is_exactly_one_beat_and_it_is_never_doubled_by_a_rollout():
    beat = _manifest("Deployment", "ooh-beat")["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"]["type"] == "Recreate"  # never two during a rollout: periodic tasks twice
    assert expanded_command(container("ooh-beat", "beat"))[:4] == ["celery", "-A", "ooh", "beat"]
    assert compose_document()["services"]["beat"]["deploy"]["replicas"] == 1


def test_the_same_processes_run_natively_in_compose_and_in_kubernetes():
    procfile = {line.split(":", 1)[0] for line in (DEPLOY / "Procfile.demo").read_text().splitlines() if line}
    deployments = {
        d["metadata"]["name"].removeprefix("ooh-") for _, d in k8s_documents() if d["kind"] == "Deployment"
    }
    services = set(compose_document()["services"])
    assert procfile == deployments == {"web", "worker", "beat"}
    assert procfile <= services


def _probe_paths() -> list[str]:
    web = container("ooh-web", "web")
    return [web[probe]["httpGet"]["path"] for probe in ("readinessProbe", "livenessProbe", "startupProbe")]


def test_every_probe_points_at_a_route_that_exists():
    paths = _probe_paths()
    assert paths == ["/readyz", "/healthz", "/healthz"]
    for path in paths:
        assert resolve(path).url_name in ("readyz", "healthz")


def test_a_probe_at_a_missing_route_would_be_caught():
    with pytest.raises(Resolver404):
        resolve("/ready")


def test_every_process_shares_its_metrics_within_its_pod_and_the_scrape_token_is_a_secret():
    config = _manifest("ConfigMap", "ooh-config")["data"]
    assert config["PROMETHEUS_MULTIPROC_DIR"].startswith(config["OOH_VAR_DIR"] + "/")  # an emptyDir
    secret = _manifest("Secret", "ooh-secrets")["stringData"]
    assert "OOH_METRICS_TOKEN" in secret
    assert "OOH_METRICS_TOKEN" not in config
    example = env_example()
    assert example["PROMETHEUS_MULTIPROC_DIR"].startswith(example["OOH_VAR_DIR"] + "/")
