"""A tiny OpenID Connect issuer for the tests, run as its own process over real HTTP.

    python tests/access/oidc_issuer.py JWKS_FILE [CLAIMED_ISSUER]

It listens on 127.0.0.1 on a free port and prints that port on its first line of output. It
serves the discovery document (``issuer`` is its own URL, or CLAIMED_ISSUER to test a mismatch)
and the key set read from JWKS_FILE at each request, so a test rotates keys by rewriting the file.
``/requests`` answers how many times each path was asked for. It holds no private key: the tests
sign their tokens themselves.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DISCOVERY = "/.well-known/openid-configuration"


def main(argv: list[str]) -> None:
    jwks_file = Path(argv[0])
    claimed = argv[1] if len(argv) > 1 else None
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    own = ""  # this issuer's URL, known once it listens

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                counts[self.path] += 1
            if self.path == DISCOVERY:
                self._answer({"issuer": claimed or own, "jwks_uri": own + "/jwks",
                              "id_token_signing_alg_values_supported": ["RS256", "ES256"]})
            elif self.path == "/jwks":
                self._answer(json.loads(jwks_file.read_text()))
            elif self.path == "/requests":
                with lock:
                    self._answer(dict(counts))
            else:
                self.send_error(404)

        def _answer(self, document: Any) -> None:
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_port
    own = f"http://127.0.0.1:{port}"
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
