"""The common shape of the API's JSON request bodies (pydantic): unknown fields are refused,
and a change may say which fields it may leave out but not set to null. Every room's
schemas build on it (accounts' teams and agents, routing's rules)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt

# A row id as the API takes it: a positive 32-bit integer.
Id = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Fields that a change may leave out but not set to null.
    NOT_NULL: ClassVar[tuple[str, ...]] = ()

    def field_errors(self) -> dict[str, str]:
        """Checks across fields, as {field: message}; `parse` turns them into a 400."""
        return {
            name: "may not be null"
            for name in self.NOT_NULL
            if name in self.model_fields_set and getattr(self, name) is None
        }
