"""`@api_doc`: an endpoint's OpenAPI description, written beside its handler from the pydantic
models that validate (or, for answers, document) it (docs/api.md "The OpenAPI document").

The decorator only attaches an `ApiDoc` to the view function; `app.core.openapi` walks the
app's routes and reads them, so no domain is imported here or there. Models given as `body`,
`query` or a response become components (`Model.model_json_schema()`, `$defs` hoisted), named
after their class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

Model = type[BaseModel]
# A response: a model (its JSON; described by its docstring's first line), a description
# alone (no body), {media type: model or JSON schema} for answers that are not JSON, or
# either of those two with a description: (model, "…").
Media = Mapping[str, Model | dict[str, Any]]
Answer = Model | str | Media | tuple[Model | Media, str]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


@dataclass(frozen=True)
class ApiDoc:
    summary: str
    tags: tuple[str, ...]
    description: str | None = None
    auth: bool = False
    body: Model | None = None
    body_media: Media | None = None
    query: Model | None = None
    path: Mapping[str, str | Mapping[str, Any]] = field(default_factory=dict)
    responses: Mapping[int, Answer] = field(default_factory=dict)
    errors: Mapping[int, str | None] = field(default_factory=dict)


def api_doc(
    summary: str,
    *,
    tags: tuple[str, ...] | str,
    description: str | None = None,
    auth: bool = False,
    body: Model | None = None,
    body_media: Media | None = None,
    query: Model | None = None,
    path: Mapping[str, str | Mapping[str, Any]] | None = None,
    responses: Mapping[int, Answer],
    errors: tuple[int, ...] | Mapping[int, str | None] = (),
    method: str | None = None,
) -> Callable[[F], F]:
    """Describe the endpoint this view serves. Put it right under the route decorator.

    `auth`: a bearer token is needed; `body`: the JSON body's model; `body_media`: other (or
    several) body media types; `query`: a model whose fields are the query parameters;
    `path`: descriptions of path parameters (their type comes from the URL rule, unless given
    as {"schema": ..., "description": ...}); `errors`:
    the error statuses (the `Error` shape; a mapping gives a status its own description);
    `method`: when one view serves several methods and each is described apart.
    """
    doc = ApiDoc(
        summary=summary,
        tags=(tags,) if isinstance(tags, str) else tuple(tags),
        description=description,
        auth=auth,
        body=body,
        body_media=body_media,
        query=query,
        path=dict(path or {}),
        responses=dict(responses),
        errors=dict(errors) if isinstance(errors, Mapping) else dict.fromkeys(errors),
    )

    def attach(view: F) -> F:
        docs: dict[str | None, ApiDoc] = view.__dict__.setdefault("__api_doc__", {})
        docs[method.upper() if method else None] = doc
        return view

    return attach


def docs_of(view: Callable[..., Any]) -> dict[str | None, ApiDoc]:
    """The descriptions attached to a view, by method (None: every method it serves)."""
    return getattr(view, "__api_doc__", {})


class Page(BaseModel, Generic[T]):
    """A page of a list (docs/api.md "Paging"): `next_cursor` is null on the last page."""

    items: list[T]
    next_cursor: str | None

    @classmethod
    def model_parametrized_name(cls, params: tuple[type[Any], ...]) -> str:
        return f"{params[0].__name__}Page"
