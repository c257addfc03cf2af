"""The web layer: the app factory, routes, error answers, request payloads and page helpers.

- ``factory``: ``create_app()``: configuration, models loaded once, security headers
- ``state``: what the app holds (models, examples) behind ``service_of()``
- ``views``: the routes; ``payload``: what a request sent; ``pages``: what pages show
- ``errors``: JSON errors for the API, the index page with the message for people
"""

from digits.web.factory import create_app

__all__ = ["create_app"]
