"""The live server's ASGI application (issue 14; `make run` serves it with uvicorn on LIVE_PORT): websockets at
/graphql/ go to the subscription endpoint (schema/live_view.py), every HTTP request to Django, so one URL serves
both without a proxy. gunicorn (config/wsgi.py) stays the API's HTTP server: the measured fast path."""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()  # sets Django up: the imports below need the app registry

from schema.live_hub import stop_live_hub  # noqa: E402
from schema.live_view import LiveGraphQL  # noqa: E402

logger = logging.getLogger("schema.live")
live_graphql = LiveGraphQL()


async def application(scope: dict, receive: object, send: object) -> None:
    if scope["type"] == "http":
        await django_application(scope, receive, send)
    elif scope["type"] == "websocket":
        if scope["path"] == "/graphql/":
            await live_graphql(scope, receive, send)
        else:  # closing before accepting: the handshake is refused with HTTP 403
            await send({"type": "websocket.close", "code": 1008})
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send)


async def _lifespan(receive: object, send: object) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await stop_live_hub()
            await send({"type": "lifespan.shutdown.complete"})
            return
