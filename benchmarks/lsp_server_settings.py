"""``dockerast-lsp`` over stdio started with editor settings, as a client's initializationOptions would give them.

For ``benchmarks/lsp.py``: the shared harness sends no initializationOptions,
so this applies the settings (JSON, first argument) before the server starts::

    python benchmarks/lsp_server_settings.py '{"diagnostics": {"debounceMs": 0}}'
    python benchmarks/lsp_server_settings.py '{"diagnostics": {"mode": "pull"}}'

Run it with the Python of the dockerast installation to measure; a client's
own settings still override these.
"""

from __future__ import annotations

import json
import sys

from lsp_server.__main__ import main
from lsp_server.server import server
from lsp_server.settings import Settings

if __name__ == "__main__":
    settings, problems = Settings.from_json(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}, server.settings)
    if problems:
        sys.exit("bad settings: " + "; ".join(problems))
    server.settings = settings
    sys.exit(main([]))
