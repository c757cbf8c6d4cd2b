"""Sandbox customs: a customs and e-port simulator that answers on the platform's message folders
(docs/sandbox.md). A separate system with its own store; it shares only the CEB standard
(``cbec.ceb``), the folder protocol and the platform's rule definitions (``cbec.tax.rules``).

* ``rules``      — its checks and codes, pure;
* ``schemas``    — its report and the records it keeps;
* ``repository`` — its own SQLite store;
* ``handlers``   — customs' answer to each kind of declaration;
* ``receipts``   — receipt files as customs writes them;
* ``service``    — ``SandboxCustoms``: the folders, the steps, the walks through customs' statuses.
"""

from cbec.sandbox.rules import ErrorCode, error_codes, list_problems, order_problems, retail_limit
from cbec.sandbox.schemas import SandboxFault, SandboxReport
from cbec.sandbox.service import SandboxCustoms

__all__ = [
    "ErrorCode",
    "SandboxCustoms",
    "SandboxFault",
    "SandboxReport",
    "error_codes",
    "list_problems",
    "order_problems",
    "retail_limit",
]
