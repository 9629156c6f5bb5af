import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer
from pyrage import x25519

from tests.processes import free_port


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


@pytest.fixture
def s3_endpoint(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its buckets per process, whichever server started them.
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    yield endpoint
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    server.stop()


def bucket_client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="x",
    )
