"""The deploy files, validated as their tools would: deploy/compose.yaml against the Compose
Specification's schema after Compose's own interpolation, every manifest of deploy/k8s against the
Kubernetes 1.37 strict schema of its kind, the kustomization against the fields it may use (schemas
vendored in tests/deploy/schemas, see its README). Each check is shown to refuse a broken copy.
"""

import copy

import pytest

from .documents import (
    InterpolationError,
    compose_document,
    compose_errors,
    interpolate,
    k8s_documents,
    k8s_errors,
)


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
