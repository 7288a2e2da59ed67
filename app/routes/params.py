"""Path parameters shared by the route modules."""

from typing import Annotated

from fastapi import Path

from app.models import ID_MAX

# Ids in URLs: a number the database's INTEGER columns can hold, so a made-up huge one is invalid input, never a crash.
Id = Annotated[int, Path(ge=1, le=ID_MAX)]
