"""Read the registry as it stood at a git revision, without checking anything out.

A review compares two revisions of ``agents/`` in the same clone a CI job already has. Checking out the base would
disturb the working tree (and the head is usually the working tree itself), so files are read straight from git's
object store: ``git ls-tree`` lists ``agents/*.yaml`` at the revision and ``git cat-file --batch`` reads every blob in
one process. Each blob goes through the same strict loader as files on disk, against the catalog *at that revision*,
so a base that predates a catalog change is judged by the catalog it was written for.

git runs as a subprocess with an argument list, never through a shell: a ref name is data, not a command.
"""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from agentid.findings import Finding
from agentid.registry import CatalogError, LoadResult, load_agent_bytes, load_catalog
from agentid.registry.loader import AGENT_SUFFIX, assemble_registry, misplaced_finding, suffix_finding, symlink_finding
from agentid.registry.model import Agent


class GitError(Exception):
    """git could not answer: not a repository, an unknown revision, or git itself is missing. The message says why."""


@dataclass(frozen=True, slots=True)
class GitRepo:
    """A git work tree and where the registry lives inside it (paths relative to the top level, POSIX style)."""

    toplevel: Path
    agents_dir: str = "agents"
    catalog_file: str = "policies/catalog.yaml"

    def git(self, *args: str, stdin: bytes | None = None) -> bytes:
        """Run git in the work tree and return its standard output; a failure becomes :class:`GitError`."""
        try:
            completed = subprocess.run(
                ["git", "-C", str(self.toplevel), *args],
                input=stdin,
                capture_output=True,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH; install git to compare revisions") from None
        if completed.returncode != 0:
            message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(message[-1] if message else f"git {args[0]} failed with status {completed.returncode}")
        return completed.stdout

    def resolve(self, ref: str) -> str:
        """The full commit id ``ref`` names. Raises :class:`GitError` with advice when it names no commit."""
        if not ref or ref.startswith("-"):
            raise GitError(f"`{ref}` is not a git revision")
        try:
            return (
                self.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
            )
        except GitError:
            raise GitError(
                f"`{ref}` is not a commit in {self.toplevel}. Check the branch or commit name; in CI fetch the base "
                "branch too (actions/checkout with fetch-depth: 0, or `git fetch origin main`)."
            ) from None

    def list_agent_blobs(self, commit: str) -> list[tuple[str, str, bool]]:
        """``(path, blob id, is a symlink)`` of every ``*.yaml``/``*.yml`` directly under the agents directory at
        ``commit``. A symbolic link (mode 120000) is a blob holding its target's path: the loader refuses it."""
        return self._agent_blobs(commit)[0]

    def _agent_blobs(self, commit: str) -> tuple[list[tuple[str, str, bool]], list[str]]:
        """The definitions directly under the agents directory at ``commit`` (``(path, blob id, is a symlink)``), and
        the paths of ``*.yaml``/``*.yml`` files in its subfolders (misplaced: the loader reports them, as on disk)."""
        out = self.git("ls-tree", "-r", "-z", commit, "--", f"{self.agents_dir}/")
        top = PurePosixPath(self.agents_dir)
        entries, nested = [], []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, path = record.decode("utf-8", "surrogateescape").partition("\t")
            mode, kind, blob = meta.split()
            where = PurePosixPath(path)
            if kind != "blob" or where.suffix not in (".yaml", ".yml"):
                continue
            if where.parent == top:
                entries.append((path, blob, mode == "120000"))
            elif not any(part.startswith(".") for part in where.relative_to(top).parts[:-1]):
                nested.append(path)
        return sorted(entries), sorted(nested)

    def read_blobs(self, blobs: Sequence[str]) -> list[bytes]:
        """Contents of the given blob ids, in order, through one ``git cat-file --batch``."""
        if not blobs:
            return []
        out = self.git("cat-file", "--batch", stdin=("\n".join(blobs) + "\n").encode())
        contents, cursor = [], 0
        for blob in blobs:
            header_end = out.index(b"\n", cursor)
            header = out[cursor:header_end].decode().split()
            if len(header) < 3 or header[1] == "missing":
                raise GitError(f"git object {blob} is missing from the repository")
            size = int(header[2])
            start = header_end + 1
            contents.append(out[start : start + size])
            cursor = start + size + 1
        return contents

    def show(self, commit: str, path: str) -> bytes | None:
        """A file's bytes at ``commit``, or ``None`` when it does not exist there."""
        try:
            return self.git("show", f"{commit}:{path}")
        except GitError:
            return None


def open_repo(root: Path, agents_dir: Path, catalog_file: Path) -> GitRepo:
    """The git work tree containing ``root``; the registry paths are expressed relative to its top level."""
    probe = GitRepo(root)
    try:
        top = Path(probe.git("rev-parse", "--show-toplevel").decode().strip()).resolve()
    except GitError as exc:
        raise GitError(f"{root} is not inside a git repository ({exc}); run agentid review from a clone") from None

    def relative(path: Path) -> str:
        try:
            return path.resolve().relative_to(top).as_posix()
        except ValueError:
            raise GitError(f"{path} is outside the git repository {top}") from None

    return GitRepo(top, relative(agents_dir), relative(catalog_file))


def load_registry_at(
    repo: GitRepo,
    commit: str,
    *,
    fallback_catalog: Path,
    reuse: Mapping[str, Agent] | None = None,
) -> LoadResult:
    """The registry at ``commit``: every agent file through the strict loader, against the catalog of that commit.

    A commit that predates the catalog file is judged by ``fallback_catalog`` (today's catalog), which is the best
    available vocabulary. A broken catalog at the commit raises :class:`CatalogError` like the on-disk loader.

    ``reuse`` maps a file's path (as git lists it) to the agent the loader made of it elsewhere (the review's head),
    which knows the blob ids of the bytes it was made of (:meth:`Source.blob_id`): a file holding exactly those bytes
    here is neither read nor parsed again. Loading one file depends on its bytes and path alone (the catalog is
    consulted afterwards, by :func:`assemble_registry`), so the agent is the one parsing would give; only files that
    loaded without any finding are offered for reuse.
    """
    catalog_bytes = repo.show(commit, repo.catalog_file)
    if catalog_bytes is None:
        catalog = load_catalog(fallback_catalog)
    else:
        with tempfile.TemporaryDirectory(prefix="agentid-catalog-") as tmp:
            path = Path(tmp) / "catalog.yaml"
            path.write_bytes(catalog_bytes)
            try:
                catalog = load_catalog(path)
            except CatalogError as exc:
                raise CatalogError(
                    [dataclasses.replace(f, file=f"{repo.catalog_file}@{commit[:12]}") for f in exc.findings]
                ) from None
        catalog = dataclasses.replace(catalog, file=repo.catalog_file)
    entries, nested = repo._agent_blobs(commit)
    files = [path for path, _blob, _link in entries]
    reuse = reuse or {}
    # A file whose blob id is that of the reusable bytes holds exactly those bytes: it is neither read nor parsed.
    reused = {
        path: _relocated(reuse[path], path)
        for path, blob, link in entries
        if not link and path in reuse and reuse[path].source.blob_id(len(blob)) == blob
    }
    unread = [blob for path, blob, _link in entries if path not in reused]
    contents = iter(repo.read_blobs(unread))
    loaded = [
        (reused[path], []) if path in reused else _load_blob(path, next(contents), link)
        for path, _blob, link in entries
    ]
    # As on disk: a definition in a subfolder of agents/ is reported, never silently left out.
    loaded.extend((None, [misplaced_finding(path, repo.agents_dir)]) for path in nested)
    return assemble_registry(catalog, loaded, [*files, *nested])


def _load_blob(path: str, raw: bytes, link: bool) -> tuple[Agent | None, list[Finding]]:
    """One file as git stores it: a symbolic link is refused, a wrong suffix is a finding, the rest is loaded."""
    if link:
        return None, [symlink_finding(path, raw.decode("utf-8", "replace"), "stored in git")]
    if PurePosixPath(path).suffix != AGENT_SUFFIX:
        return None, [suffix_finding(path)]
    return load_agent_bytes(raw, path, expected_name=PurePosixPath(path).stem)


def _relocated(agent: Agent, path: str) -> Agent:
    """``agent`` as loaded from ``path`` (the head may show its file relative to another directory)."""
    if agent.source.file == path:
        return agent
    return agent.moved_to(path)


def last_changes(repo: GitRepo, paths: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``path -> (commit, date)`` of the last commit touching each path, from one ``git log`` walk.

    Paths never committed are absent. Dates are committer dates (YYYY-MM-DD): when the change reached the branch.
    """
    wanted = set(paths)
    if not wanted:
        return {}
    try:
        out = repo.git("log", "--format=%x1e%H%x1f%cs", "--name-only", "--no-renames", "--", *sorted(wanted))
    except GitError:
        return {}  # no commits yet
    found: dict[str, tuple[str, str]] = {}
    for record in out.decode("utf-8", "surrogateescape").split("\x1e"):
        if not record.strip():
            continue
        header, _, names = record.partition("\n")
        commit, _, date = header.partition("\x1f")
        for name in names.splitlines():
            name = name.strip()
            if name in wanted and name not in found:
                found[name] = (commit, date)
        if len(found) == len(wanted):
            break
    return found


def uncommitted(repo: GitRepo, paths: Sequence[str]) -> set[str]:
    """The paths with changes not yet committed (staged or not): their 'last change' is not in git yet."""
    if not paths:
        return set()
    try:
        out = repo.git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
    except GitError:
        return set()
    return {entry[3:] for entry in out.decode("utf-8", "surrogateescape").split("\0") if len(entry) > 3}


__all__ = [
    "GitError",
    "GitRepo",
    "last_changes",
    "load_registry_at",
    "open_repo",
    "uncommitted",
]
