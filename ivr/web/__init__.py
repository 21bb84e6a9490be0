"""The web layer: one small Starlette app on uvicorn (`hajj-ivr web`), no build step."""
