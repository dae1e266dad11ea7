"""The known gap of the local backend (docs/threat-model.md): compilation is not jailed.

A compiler is trusted, but the source can make it read a host file and echo it in its error
message (C++ `#include`) or embed it in the binary (Rust `include_str!`). Until the compile step
runs in the supervisor's jail these fail on the local backend, which is recorded as a strict
expected failure there: the day the gap is closed, the XPASS tells us to drop the marker.
"""

from __future__ import annotations

import pytest

from afterburner_core.models import ExecutionRequest, Verdict
from afterburner_core.sandbox.api import Sandbox
from tests.adversarial.conftest import Canaries, require_isolation
from tests.conftest import require_language

SOURCES = {
    "cpp": '#include "@SECRET@"\nint main() {}\n',
    "rust": 'fn main() { print!("{}", include_str!("@SECRET@")); }\n',
}


@pytest.mark.parametrize("language", sorted(SOURCES))
def test_compiler_cannot_read_host_secrets(
    sandbox: Sandbox, backend: str, language: str, canaries: Canaries, request: pytest.FixtureRequest
) -> None:
    require_isolation(backend)
    require_language(language)
    if backend == "local":
        request.applymarker(pytest.mark.xfail(strict=True, reason="compilation is not jailed on the local backend"))
    path, secret = next((p, s) for p, s in canaries.secrets.items() if p.parent.name != "adversarial")
    code = SOURCES[language].replace("@SECRET@", str(path)) + f"// {canaries.marker}\n"
    report = sandbox.execute(ExecutionRequest(code=code, language=language))
    assert secret not in report.stdout + report.stderr + report.compile.stderr
    assert report.verdict in (Verdict.compile_error, Verdict.runtime_error, Verdict.accepted)
