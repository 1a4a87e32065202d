"""The web application: a Flask app factory, one blueprint per surface.

:func:`create_app` builds everything from a :class:`~diplokg.config.Settings`
and a :class:`~diplokg.store.Store` (opened from the settings when not given);
nothing lives at module level. Surfaces: ``/sparql`` (:mod:`diplokg.web.sparql`);
the linked-data pages (``/``, ``/id``, ``/doc``, ``/ontology``…) register their
own blueprints beside it. Every response carries CORS headers, errors included
(https://fetch.spec.whatwg.org/#http-cors-protocol).
"""

from __future__ import annotations

from flask import Flask, Response, request

from diplokg.config import Settings
from diplokg.store import Store, open_store
from diplokg.web import docs, errors, pages, rdfview, replay, resources, sparql, void

EXPOSED = (
    "ETag, Retry-After, X-SPARQL-MaxRows, Content-Disposition, Allow, Link, Location, "
    "Content-Location"
)


def add_cors(response: Response) -> Response:
    """Allow any origin to read any response (a public, read-only service)."""
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers")
        headers["Access-Control-Allow-Headers"] = asked or "Accept, Content-Type, If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"
    return response


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    """Build the application.

    Args:
        settings: The settings (default: from the ``DIPLOKG_*`` environment).
        store: The store to read (default: opened from the settings).

    Returns:
        The Flask app; ``app.extensions["diplokg"]`` holds the settings and store.

    Raises:
        DiploKGError: The store cannot be opened (e.g. no ``dist/``).
    """
    settings = settings if settings is not None else Settings.from_env()
    store = store if store is not None else open_store(settings)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body,
        MAX_FORM_MEMORY_SIZE=settings.max_body,
        JSON_SORT_KEYS=False,
    )
    app.extensions["diplokg"] = {"settings": settings, "store": store}
    app.register_blueprint(sparql.bp)
    app.register_blueprint(resources.bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(void.bp)
    rdfview.init_app(app)
    errors.init_app(app)
    app.after_request(add_cors)
    if settings.query_cache > 0:
        app.wsgi_app = replay.Replay(  # type: ignore[method-assign]
            app.wsgi_app, store, entries=settings.query_cache
        )
    return app
