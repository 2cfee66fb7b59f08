"""Loading a large MSC config: libyaml's loader against pyyaml's pure-Python one, and MSC's own.

Run: python tests/benchmarks/bench_config_loading.py [PROFILES]
Writes a config of PROFILES profiles (default 30,000, about 7 MB, the size that took
41 s before the C loader was used), then times, in the same run: the first load of
one profile with the loader we use (libyaml where installed), the same with the
pure-Python loader (the fallback), a second load (cached until the file changes), and
MSC 1.3.1's StorageClientConfig.from_file when it is installed. Ratios to ours.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

from msc_notebook import StorageClientConfig
from msc_notebook.core import _config as config
from msc_notebook.core import _config_files as config_files


def big_config(profiles: int) -> str:
    entries = []
    for i in range(profiles):
        entries.append(
            f"  team-{i:05d}:\n"
            f"    storage_provider:\n"
            f"      type: s3\n"
            f"      options:\n"
            f"        base_path: bucket-{i % 97}/datasets/team-{i:05d}\n"
            f"        region_name: us-west-2\n"
            f"        endpoint_url: https://s3.us-west-2.amazonaws.com\n"
            f"    credentials_provider:\n"
            f"      type: S3Credentials\n"
            f"      options:\n"
            f"        access_key: AKIA{i:016d}\n"
            f"        secret_key: ${{TEAM_SECRET}}\n"
        )
    return "profiles:\n" + "".join(entries)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cold_load(path: Path) -> None:
    config._loaded.clear()  # the parsed-config cache: measure the parse
    StorageClientConfig.from_file("team-00042", config_file_paths=[path])


def main() -> None:
    profiles = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
    os.environ["TEAM_SECRET"] = "bench-secret"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "msc_config.yaml"
        path.write_text(big_config(profiles))
        print(f"{profiles} profiles, {path.stat().st_size / 1e6:.1f} MB; libyaml available: {yaml.__with_libyaml__}")
        ours = timed(lambda: cold_load(path))
        cached = timed(lambda: StorageClientConfig.from_file("team-00042", config_file_paths=[path]))
        used, chooser = config_files._yaml_loader(), config_files._yaml_loader
        config_files._yaml_loader = lambda: yaml.SafeLoader
        try:
            pure = timed(lambda: cold_load(path))
        finally:
            config_files._yaml_loader = chooser
        rows = [(f"msc_notebook, {used.__name__} (used)", ours), ("msc_notebook, SafeLoader (fallback)", pure),
                ("msc_notebook, second load (cached)", cached)]  # fmt: skip
        try:
            import multistorageclient

            rows.append(
                ("MSC 1.3.1 from_file", timed(lambda: multistorageclient.StorageClientConfig.from_file(
                    config_file_paths=[str(path)], profile="team-00042")))  # fmt: skip
            )
        except ImportError:
            pass
        for name, seconds in rows:
            print(f"  {name:<40} {seconds:8.3f} s   {seconds / ours:6.2f}x ours")


if __name__ == "__main__":
    main()
