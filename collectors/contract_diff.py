"""What changed between two versions of an API contract, in words, breaking or not.

Both documents are first reduced to their surface: the paths, operations, channels and messages
they offer, and per operation or message the fields of its request, response or payload
(flattened dotted names with type, enum and whether required; local `$ref`s followed). The
surfaces are then compared:

| change | breaking |
|---|---|
| a path, operation, channel or message removed | yes |
| a response or payload field removed | yes |
| a field's type changed | yes |
| a new required request or payload field (or an optional one made required) | yes |
| an enum narrowed (values removed) | yes |
| anything added, a request field removed, an enum widened | no |

The documents were validated before (OpenAPI 2.0/3.x, AsyncAPI 2.x/3.x), so their shape is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_DEPTH = 8


@dataclass(frozen=True)
class Field:
    """One field of a request, response or payload schema."""

    type: str | None
    enum: tuple[str, ...] | None
    required: bool


@dataclass(frozen=True)
class Change:
    """One difference between two versions."""

    breaking: bool
    kind: str
    location: str
    description: str


@dataclass
class Surface:
    """What a contract offers: its elements (path, operation, channel, message) and the fields of
    each operation's or message's schemas, by role (request, response, payload)."""

    elements: dict[str, str] = field(default_factory=dict)  # label -> kind
    schemas: dict[tuple[str, str], dict[str, Field]] = field(default_factory=dict)


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from `old` to `new`, breaking ones first."""
    before, after = surface(old), surface(new)
    changes: list[Change] = []
    for label, kind in before.elements.items():
        if label not in after.elements:
            changes.append(Change(True, f"removed_{kind}", label, f"removed {_named(kind, label)}"))
    for label, kind in after.elements.items():
        if label not in before.elements:
            changes.append(Change(False, f"added_{kind}", label, f"added {_named(kind, label)}"))
    for key, old_fields in before.schemas.items():
        new_fields = after.schemas.get(key)
        if new_fields is not None:
            changes.extend(_fields(key, old_fields, new_fields))
    for key, new_fields in after.schemas.items():
        if key not in before.schemas and key[0] in before.elements:  # a body where none was
            changes.extend(_fields(key, {}, new_fields))
    changes.sort(key=lambda c: (not c.breaking, c.location, c.kind))
    return changes


def _named(kind: str, label: str) -> str:
    """`path /pets`, `channel lights.on`: the kind once, whether or not the label carries it."""
    return label if label.startswith(f"{kind} ") else f"{kind} {label}"


def _fields(key: tuple[str, str], old: dict[str, Field], new: dict[str, Field]) -> list[Change]:
    owner, role = key
    out: list[Change] = []
    side = {"request": "request field", "response": "response field", "payload": "payload field"}[
        role
    ]

    def at(name: str) -> str:
        return f"{owner} {name}" if role == "response" else f"{owner} {role} {name}"

    for name, was in old.items():
        where = at(name)
        now = new.get(name)
        if now is None:
            breaking = role != "request"
            out.append(
                Change(
                    breaking, f"removed_{role}_field", where, f"removed {side} {name} of {owner}"
                )
            )
            continue
        if was.type and now.type and was.type != now.type:
            out.append(
                Change(
                    True,
                    "changed_type",
                    where,
                    f"{side} {name} of {owner} changed type from {was.type} to {now.type}",
                )
            )
        if was.enum is not None and now.enum is not None:
            gone = [v for v in was.enum if v not in now.enum]
            added = [v for v in now.enum if v not in was.enum]
            if gone:
                out.append(
                    Change(
                        True,
                        "narrowed_enum",
                        where,
                        f"{side} {name} of {owner} no longer allows {', '.join(gone)}",
                    )
                )
            if added:
                out.append(
                    Change(
                        False,
                        "widened_enum",
                        where,
                        f"{side} {name} of {owner} also allows {', '.join(added)}",
                    )
                )
        elif was.enum is None and now.enum is not None:
            out.append(
                Change(
                    True,
                    "narrowed_enum",
                    where,
                    f"{side} {name} of {owner} is now limited to {', '.join(now.enum)}",
                )
            )
        if role != "response" and now.required and not was.required:
            out.append(
                Change(True, "required_field", where, f"{side} {name} of {owner} is now required")
            )
    for name, now in new.items():
        if name in old:
            continue
        where = at(name)
        if role != "response" and now.required:
            out.append(
                Change(True, "new_required_field", where, f"new required {side} {name} of {owner}")
            )
        else:
            out.append(
                Change(False, f"added_{role}_field", where, f"added {side} {name} of {owner}")
            )
    return out


def surface(doc: dict[str, Any]) -> Surface:
    """The surface of an OpenAPI or AsyncAPI document."""
    if "asyncapi" in doc:
        major = str(doc["asyncapi"]).split(".")[0]
        return _asyncapi3(doc) if major == "3" else _asyncapi2(doc)
    return _openapi(doc)


# -- OpenAPI ---------------------------------------------------------------------------------


def _openapi(doc: dict[str, Any]) -> Surface:
    out = Surface()
    swagger = "swagger" in doc
    for path, item in (doc.get("paths") or {}).items():
        item = _deref(doc, item)
        if not isinstance(item, dict):
            continue
        out.elements[path] = "path"
        shared = item.get("parameters") or []
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            label = f"{method.upper()} {path}"
            out.elements[label] = "operation"
            request: dict[str, Field] = {}
            for param in [*shared, *(op.get("parameters") or [])]:
                param = _deref(doc, param)
                if not isinstance(param, dict) or "name" not in param:
                    continue
                if param.get("in") == "body":
                    _flatten(
                        doc, param.get("schema"), "body", bool(param.get("required")), request, 0
                    )
                    continue
                schema = param.get("schema") if not swagger else param
                info = _field(doc, schema or {}, bool(param.get("required")))
                request[f"{param.get('in')}.{param['name']}"] = info
            body = _deref(doc, op.get("requestBody"))
            if isinstance(body, dict):
                schema = _media_schema(body.get("content"))
                _flatten(doc, schema, "body", bool(body.get("required")), request, 0)
            out.schemas[(label, "request")] = request
            for status, response in (op.get("responses") or {}).items():
                response = _deref(doc, response)
                if not isinstance(response, dict):
                    continue
                schema = (
                    response.get("schema") if swagger else _media_schema(response.get("content"))
                )
                fields: dict[str, Field] = {}
                _flatten(doc, schema, "body", True, fields, 0)
                out.schemas[(f"{label} response {status}", "response")] = fields
                out.elements.setdefault(f"{label} response {status}", "response")
    # responses are tracked for their fields only: a removed status code is not in the rules
    out.elements = {k: v for k, v in out.elements.items() if v != "response"}
    return out


def _media_schema(content: Any) -> Any:
    """The schema of the JSON media type (else the first) of a content map."""
    if not isinstance(content, dict) or not content:
        return None
    for media, entry in content.items():
        if "json" in media and isinstance(entry, dict):
            return entry.get("schema")
    first = next(iter(content.values()))
    return first.get("schema") if isinstance(first, dict) else None


# -- AsyncAPI --------------------------------------------------------------------------------


def _message_name(doc: dict[str, Any], message: Any, fallback: str) -> str:
    if isinstance(message, dict) and isinstance(message.get("$ref"), str):
        return message["$ref"].rsplit("/", 1)[-1]
    resolved = _deref(doc, message)
    if isinstance(resolved, dict):
        return str(resolved.get("name") or resolved.get("messageId") or fallback)
    return fallback


def _payload(doc: dict[str, Any], out: Surface, label: str, message: Any) -> None:
    resolved = _deref(doc, message)
    if not isinstance(resolved, dict):
        return
    payload = resolved.get("payload")
    if isinstance(payload, dict) and "schema" in payload and "schemaFormat" in payload:
        payload = payload["schema"]  # 3.x multi-format schema object
    fields: dict[str, Field] = {}
    _flatten(doc, payload, "payload", True, fields, 0)
    out.schemas[(label, "payload")] = fields


def _asyncapi2(doc: dict[str, Any]) -> Surface:
    out = Surface()
    for name, channel in (doc.get("channels") or {}).items():
        channel = _deref(doc, channel)
        if not isinstance(channel, dict):
            continue
        out.elements[f"channel {name}"] = "channel"
        for action in ("publish", "subscribe"):
            op = channel.get(action)
            if not isinstance(op, dict):
                continue
            out.elements[f"{action} {name}"] = "operation"
            message = op.get("message")
            resolved = _deref(doc, message)
            options = (
                resolved.get("oneOf")
                if isinstance(resolved, dict) and "oneOf" in resolved
                else [message]
            )
            for index, item in enumerate(options or []):
                msg = _message_name(doc, item, f"message{index}")
                label = f"message {msg} on {name}"
                out.elements[label] = "message"
                _payload(doc, out, label, item)
    return out


def _asyncapi3(doc: dict[str, Any]) -> Surface:
    out = Surface()
    for cid, channel in (doc.get("channels") or {}).items():
        channel = _deref(doc, channel)
        if not isinstance(channel, dict):
            continue
        address = channel.get("address") or cid
        out.elements[f"channel {address}"] = "channel"
        for mid, message in (channel.get("messages") or {}).items():
            label = f"message {_message_name(doc, message, mid)} on {address}"
            out.elements[label] = "message"
            _payload(doc, out, label, message)
    for oid, op in (doc.get("operations") or {}).items():
        op = _deref(doc, op)
        if isinstance(op, dict):
            out.elements[f"operation {oid} ({op.get('action', '?')})"] = "operation"
    return out


# -- schemas ---------------------------------------------------------------------------------


def _deref(doc: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow a local `$ref` (`#/components/schemas/Pet`); external ones are left as they are."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return node
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return node
            target = target[part]
        node, depth = target, depth + 1
    return node


def _field(doc: dict[str, Any], schema: Any, required: bool) -> Field:
    schema = _deref(doc, schema)
    if not isinstance(schema, dict):
        return Field(None, None, required)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = "|".join(sorted(str(k) for k in kind))
    enum = schema.get("enum")
    return Field(
        str(kind) if kind is not None else None,
        tuple(str(v) for v in enum) if isinstance(enum, list) else None,
        required,
    )


def _flatten(
    doc: dict[str, Any], schema: Any, prefix: str, required: bool, out: dict[str, Field], depth: int
) -> None:
    """Dotted field names of a schema (`body.owner.name`, `body.tags[]`), objects and arrays
    followed, allOf merged; the schema itself is recorded under `prefix`."""
    schema = _deref(doc, schema)
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return
    merged = dict(schema)
    for part in schema.get("allOf") or []:
        part = _deref(doc, part)
        if isinstance(part, dict):
            merged.setdefault("type", part.get("type"))
            merged["properties"] = {
                **(part.get("properties") or {}),
                **(merged.get("properties") or {}),
            }
            merged["required"] = [*(merged.get("required") or []), *(part.get("required") or [])]
    if merged.get("properties") and not merged.get("type"):
        merged["type"] = "object"
    out[prefix] = _field(doc, merged, required)
    needed = set(merged.get("required") or [])
    for name, sub in (merged.get("properties") or {}).items():
        # required only when every level above it is: a required field of an optional object
        # need not be sent
        _flatten(doc, sub, f"{prefix}.{name}", required and name in needed, out, depth + 1)
    if merged.get("type") == "array":
        _flatten(doc, merged.get("items"), f"{prefix}[]", False, out, depth + 1)
