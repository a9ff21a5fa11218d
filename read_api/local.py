"""`python -m read_api.local --port 8001`: the read handlers behind a local HTTP server.

Each request becomes an API Gateway REST proxy event (as API Gateway builds it: decoded
path, single- and multi-value headers and query parameters, a request context with a
request id) and goes to the handler module that owns the path's first segment, as the
deployed functions are routed (`/api/festivals*` → festivals, …).
"""

import argparse
import importlib
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from . import config, handlers

STAGE = "local"


def to_event(method: str, raw_path: str, headers: list[tuple[str, str]], source_ip: str) -> dict:
    url = urlsplit(raw_path)
    path = unquote(url.path, errors="replace") or "/"
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True, errors="replace"):
        multi_query.setdefault(name, []).append(value)
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    request_id = str(uuid.uuid4())
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path, "httpMethod": method, "path": f"/{STAGE}{path}", "stage": STAGE,
            "requestId": request_id, "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip}, "protocol": "HTTP/1.1", "apiId": "local",
        },
        "body": None,
        "isBase64Encoded": False,
    }


def handler_for(path: str):
    parts = path.strip("/").split("/")
    module = handlers.MODULES.get(parts[1] if len(parts) > 1 and parts[0] == "api" else "", handlers.MODULES["festivals"])
    return importlib.import_module(module).lambda_handler


class _Handler(BaseHTTPRequestHandler):
    server_version = "metalfests-read-api-local"
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = self.headers.get("Content-Length", "0")
        if length.isdigit() and int(length):  # read-only API: a request body is read and ignored
            self.rfile.read(min(int(length), 1 << 20))
        event = to_event(self.command, self.path, list(self.headers.items()), self.client_address[0])
        result = handler_for(event["path"])(event, None)
        body = (result.get("body") or "").encode()
        self.send_response(result["statusCode"])
        headers = result.get("headers") or {}
        for name, value in headers.items():
            self.send_header(name, value)
        if not any(name.lower() == "content-length" for name in headers):  # a HEAD answer names GET's length
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_OPTIONS = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format, *args):  # the handlers already log one JSON line per request
        pass


def serve(host: str, port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), _Handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m read_api.local", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    settings = config.reload()
    server = serve(args.host, args.port)
    print(f"Public API on http://{args.host}:{args.port}/api/festivals "
          f"(table {settings.table_name} at {settings.endpoint_url or 'AWS'})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
