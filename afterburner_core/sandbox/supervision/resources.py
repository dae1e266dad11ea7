"""Where runs find the plugins' resource files (harnesses).

A plugin's package can live anywhere (a site-packages, an editable checkout under /tmp) and a
sandboxed program may not see that place: the local jail mounts a private /tmp and hides root's
home, a container sees nothing of the host. So the engine publishes each plugin's declared
`resources` into a directory it controls and knows to be visible -- under the cache root for the
local backend, the shared read-only mount for docker -- and hands their paths to the plugin through
the toolchain's `paths` (see `LanguagePlugin.resource_arg`).
"""

from __future__ import annotations

import os
from pathlib import Path

from afterburner_core.languages import LanguageInfo


def publish_resources(info: LanguageInfo, root: Path) -> dict[str, str]:
    """Copy the plugin's resource files to `root/<language>/` (world-readable); name -> path."""
    directory = root / info.key
    directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    directory.chmod(0o755)
    paths: dict[str, str] = {}
    for name in info.plugin.resources:
        content = info.plugin.resource_path(name).read_bytes()
        target = directory / name
        if not target.exists() or target.read_bytes() != content:
            temporary = target.with_suffix(f".tmp{os.getpid()}")
            temporary.write_bytes(content)
            temporary.chmod(0o644)
            temporary.replace(target)
        paths[name] = str(target)
    return paths
