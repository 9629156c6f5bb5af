import pytest
from pyrage import x25519


def write_key(path, identity) -> None:
    path.write_text(f"# test key\n{identity}\n")
    path.chmod(0o600)


@pytest.fixture
def backup_key(tmp_path):
    """The restore side's private key file; the settings hold only its public key."""
    identity = x25519.Identity.generate()
    path = tmp_path / "backup-key.txt"
    write_key(path, identity)
    return path, str(identity.to_public())


@pytest.fixture
def backup_settings(settings, tmp_path, backup_key):
    key_path, public = backup_key
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_AGE_RECIPIENTS = [public]
    settings.BACKUP_AGE_IDENTITY_FILE = str(key_path)
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings
