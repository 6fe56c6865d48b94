"""The deploy folder read as its tools read it: compose.yaml after Compose's interpolation (values from
deploy/.env.example), the Kubernetes manifests, and validators for the schemas vendored in
tests/deploy/schemas (see its README)."""

import json
import re
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
K8S_SCHEMAS = SCHEMAS / "kubernetes-v1.37"


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
