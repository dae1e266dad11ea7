"""Compilers read what the source tells them to: a host file echoed in an error message (C++
`#include`) or embedded in the binary (Rust `include_str!`). Compiles therefore run jailed too (as
root: their own uid, read-only host, private files unreadable; in docker: inside the container),
so no secret of the host can come back.
"""

from __future__ import annotations

import pytest

from afterburner_core.models import ExecutionRequest, Verdict
from afterburner_core.sandbox.api import Sandbox
from tests.adversarial.conftest import Canaries, require_isolation
from tests.helpers import require_language

SOURCES = {
    "cpp": '#include "@SECRET@"\nint main() {}\n',
    "rust": 'fn main() { print!("{}", include_str!("@SECRET@")); }\n',
}


@pytest.mark.parametrize("language", sorted(SOURCES))
def test_compiler_cannot_read_host_secrets(sandbox: Sandbox, backend: str, language: str, canaries: Canaries) -> None:
    require_isolation(backend)
    require_language(language)
    path, secret = next((p, s) for p, s in canaries.secrets.items() if p.parent.name != "adversarial")
    code = SOURCES[language].replace("@SECRET@", str(path)) + f"// {canaries.marker}\n"
    report = sandbox.execute(ExecutionRequest(code=code, language=language))
    assert secret not in report.stdout + report.stderr + report.compile.stderr
    assert report.verdict in (Verdict.compile_error, Verdict.runtime_error, Verdict.accepted)
