"""The JSON API's documentation at /docs: Swagger UI served from this app (the swagger-ui-bundle-v2 package),
never from a CDN, and started by a script file, so the app's Content-Security-Policy holds on this page too."""

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from swagger_ui_bundle import swagger_ui_path

from app.pages import templates

router = APIRouter(include_in_schema=False)

# Only what the page loads; the bundle's demo page and source maps stay unserved.
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


@router.get("/docs")
def docs_page(request: Request):
    return templates.TemplateResponse(request, "docs.html", {})


@router.get("/docs/assets/{name}")
def docs_asset(name: str):
    if name not in ASSETS:
        raise HTTPException(404)
    return FileResponse(Path(str(swagger_ui_path)) / name, media_type=ASSETS[name], headers={"cache-control": "public, max-age=86400"})
