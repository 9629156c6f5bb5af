"""The backup archive: a tar of the database dump, the private media and a manifest
of their checksums, encrypted with age to public keys.

Inside the tar (after decryption):

    database.pgdump | database.sqlite3   the dump (databases.py)
    media/<name>                         each private file, by its storage name
    manifest.json                        written last: format, created_at, the
                                         database member with its sha256, size and
                                         every table's row count, each media file
                                         with its sha256 and size

The host that makes backups holds only the recipients' public keys, so it cannot read
an archive it wrote; the identity (private key) lives where restores are done. age
authenticates every 64 KiB chunk, so a flipped bit or a cut-off file fails to decrypt;
the manifest's checksums then prove each member is the one that was written.
"""

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO

import pyrage
from pyrage import x25519

FORMAT = "smp-clinic-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """An archive that cannot be written or trusted; the message says what to do."""


@dataclass
class MediaEntry:
    name: str
    sha256: str
    bytes: int


@dataclass
class Manifest:
    created_at: str
    database_vendor: str
    database_member: str
    database_sha256: str
    database_bytes: int
    tables: dict[str, int]
    media: list[MediaEntry] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def media_bytes(self) -> int:
        return sum(entry.bytes for entry in self.media)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "created_at": self.created_at,
                "database": {
                    "vendor": self.database_vendor,
                    "member": self.database_member,
                    "sha256": self.database_sha256,
                    "bytes": self.database_bytes,
                    "tables": self.tables,
                },
                "media": [entry.__dict__ for entry in self.media],
            },
            indent=1,
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "Manifest":
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ArchiveError("The archive is not an SMP Clinic backup.")
            if data.get("version") != VERSION:
                raise ArchiveError(
                    f"The archive's format version {data.get('version')!r} is not "
                    f"the {VERSION} this version of the app restores."
                )
            database = data["database"]
            return cls(
                created_at=str(data["created_at"]),
                database_vendor=str(database["vendor"]),
                database_member=str(database["member"]),
                database_sha256=str(database["sha256"]),
                database_bytes=int(database["bytes"]),
                tables={str(k): int(v) for k, v in database["tables"].items()},
                media=[
                    MediaEntry(str(m["name"]), str(m["sha256"]), int(m["bytes"]))
                    for m in data["media"]
                ],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ArchiveError(
                f"The archive's manifest is damaged ({type(error).__name__})."
            ) from error


def recipients_parse(keys: list[str]) -> list[x25519.Recipient]:
    if not keys:
        raise ArchiveError(
            "No backup key: set BACKUP_AGE_RECIPIENTS to the public key (age1...) of "
            "the key pair that restores will use. `manage.py backup_keygen` makes one."
        )
    recipients = []
    for key in keys:
        try:
            recipients.append(x25519.Recipient.from_str(key))
        except pyrage.RecipientError as error:
            raise ArchiveError(
                f"BACKUP_AGE_RECIPIENTS holds {key[:12]!r}..., which is not an age "
                f"public key ({error})."
            ) from error
    return recipients


def identities_read(path: Path) -> list[x25519.Identity]:
    """The private keys in an age identity file (age-keygen's format: comments and
    one AGE-SECRET-KEY-1... a line)."""
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise ArchiveError(
            f"Cannot read the backup key file {path}: {error.strerror}."
        ) from error
    identities = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(x25519.Identity.from_str(line))
        except pyrage.IdentityError as error:
            # Never echo the line: it may be most of a private key.
            raise ArchiveError(
                f"The backup key file {path} holds a line that is not an age "
                "private key (AGE-SECRET-KEY-1...)."
            ) from error
    if not identities:
        raise ArchiveError(f"The backup key file {path} holds no private key.")
    return identities


class _Hashing:
    """A reader that hashes what passes through it (one read of each file)."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ArchiveWriter:
    """Builds the plain tar in a private temporary folder; `seal` encrypts it."""

    def __init__(self, tar_path: Path):
        self.tar_path = tar_path
        # Closed by finish(); the folder it is in is removed either way.
        self.tar = tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.media: list[MediaEntry] = []

    def add_database(self, dump: Path) -> tuple[str, int]:
        self.tar.add(dump, arcname=dump.name, recursive=False)
        return sha256_file(dump), dump.stat().st_size

    def add_media(self, name: str, stream: IO[bytes], size: int) -> None:
        info = tarfile.TarInfo(MEDIA_PREFIX + name)
        info.size = size
        info.mode = 0o600
        hashing = _Hashing(stream)
        self.tar.addfile(info, hashing)
        if hashing.size != size:
            raise ArchiveError(f"The file {name} changed size while it was copied.")
        self.media.append(MediaEntry(name, hashing.digest.hexdigest(), size))

    def finish(self, manifest: Manifest) -> None:
        raw = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(raw)
        info.mode = 0o600
        self.tar.addfile(info, io.BytesIO(raw))
        self.tar.close()


def seal(tar_path: Path, destination: Path, recipients: list) -> None:
    """Encrypt the tar to `destination` (written beside it, then renamed, so a
    crash never leaves a half archive under an archive's name)."""
    partial = destination.with_name(destination.name + ".partial")
    try:
        pyrage.encrypt_file(str(tar_path), str(partial), recipients)
        # Encrypted, but what is in a backup folder is nobody else's business.
        partial.chmod(0o600)
        partial.rename(destination)
    finally:
        partial.unlink(missing_ok=True)


def unseal(archive: Path, tar_path: Path, identities: list) -> None:
    if not archive.is_file():
        raise ArchiveError(f"No archive at {archive}.")
    try:
        pyrage.decrypt_file(str(archive), str(tar_path), identities)
    except pyrage.DecryptError as error:
        tar_path.unlink(missing_ok=True)
        if "No matching keys" in str(error):
            raise ArchiveError(
                f"{archive.name} was not encrypted to the key given: no key in the "
                "key file opens it. Use the private key whose public key was in "
                "BACKUP_AGE_RECIPIENTS when the backup was made."
            ) from error
        raise ArchiveError(
            f"{archive.name} is damaged or is not a backup: it cannot be decrypted "
            f"({error}). Nothing was restored."
        ) from error
    except OSError as error:
        tar_path.unlink(missing_ok=True)
        raise ArchiveError(
            f"{archive.name} is damaged: its encrypted content fails its "
            "authentication (a changed or truncated file). Nothing was restored."
        ) from error


def _safe_media_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        bool(name)
        and not path.is_absolute()
        and ".." not in path.parts
        and "\\" not in name
        and "\x00" not in name
        and str(path) == name
    )


class ArchiveReader:
    """An opened, fully verified archive: every member is in the manifest with its
    checksum, and nothing else is in the tar."""

    def __init__(self, tar_path: Path):
        try:
            self.tar = tarfile.open(tar_path, "r:")  # noqa: SIM115 - close()
        except tarfile.TarError as error:
            raise ArchiveError(
                "The decrypted archive is not a tar file: it is damaged."
            ) from error
        try:
            self._open()
        except (ArchiveError, tarfile.TarError) as error:
            self.tar.close()
            if isinstance(error, ArchiveError):
                raise
            raise ArchiveError("The decrypted archive is damaged.") from error

    def _open(self) -> None:
        members = {}
        for member in self.tar.getmembers():
            if not member.isreg() or member.name in members:
                raise ArchiveError(
                    f"The archive holds an unexpected entry {member.name!r}: refused."
                )
            members[member.name] = member
        if MANIFEST not in members:
            raise ArchiveError("The archive has no manifest: it is damaged.")
        self.members = members
        self.manifest = Manifest.from_json(self._read(MANIFEST))
        self._verify()

    def _read(self, name: str) -> bytes:
        return self.tar.extractfile(self.members[name]).read()

    def _expected(self) -> dict[str, tuple[str, int]]:
        expected = {
            self.manifest.database_member: (
                self.manifest.database_sha256,
                self.manifest.database_bytes,
            )
        }
        if self.manifest.database_member not in {"database.pgdump", "database.sqlite3"}:
            raise ArchiveError("The manifest names an unknown database member.")
        for entry in self.manifest.media:
            if not _safe_media_name(entry.name):
                raise ArchiveError(
                    f"The manifest names a file outside the media folder "
                    f"({entry.name!r}): refused."
                )
            expected[MEDIA_PREFIX + entry.name] = (entry.sha256, entry.bytes)
        return expected

    def _verify(self) -> None:
        expected = self._expected()
        present = set(self.members) - {MANIFEST}
        if missing := sorted(set(expected) - present):
            raise ArchiveError(
                f"The archive lacks {len(missing)} file(s) its manifest lists, "
                f"first {missing[0]!r}: it is damaged."
            )
        if extra := sorted(present - set(expected)):
            raise ArchiveError(
                f"The archive holds {len(extra)} file(s) its manifest does not list, "
                f"first {extra[0]!r}: refused."
            )
        for name, (sha256, size) in expected.items():
            digest = hashlib.sha256()
            stream = self.tar.extractfile(self.members[name])
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
            if digest.hexdigest() != sha256 or self.members[name].size != size:
                raise ArchiveError(
                    f"{name} does not match its checksum in the manifest: the archive "
                    "is damaged. Nothing was restored."
                )

    def extract_database(self, folder: Path) -> Path:
        path = folder / self.manifest.database_member
        with path.open("wb") as out:
            stream = self.tar.extractfile(self.members[self.manifest.database_member])
            while chunk := stream.read(CHUNK):
                out.write(chunk)
        return path

    def media_files(self) -> Iterator[tuple[MediaEntry, IO[bytes]]]:
        for entry in self.manifest.media:
            yield entry, self.tar.extractfile(self.members[MEDIA_PREFIX + entry.name])

    def close(self) -> None:
        self.tar.close()


def created_at_text(at: datetime) -> str:
    return at.isoformat(timespec="seconds")
