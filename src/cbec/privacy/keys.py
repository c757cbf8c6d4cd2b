"""The retention key: a Fernet key (AES-128-CBC + HMAC-SHA256, ``cryptography``) in a file apart
from the database, so a copy of the database or of the data directory does not open what was
retained. Which file, and when it is made, is decided here (docs/privacy.md, "the key")."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from cbec.config import Settings
from cbec.errors import InvalidInput, RuleViolation


@dataclass(frozen=True, slots=True)
class RetentionKey:
    key: bytes
    path: Path

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.key).hexdigest()[:16]

    def encrypt(self, data: bytes) -> bytes:
        return Fernet(self.key).encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return Fernet(self.key).decrypt(token)
        except InvalidToken:
            raise RuleViolation(
                "the retention key does not open this record (another key, or the record was changed)",
                "保留密钥无法打开此记录（密钥不符，或记录已被改动）",
                field="retention_key_file",
            ) from None


def key_path(settings: Settings) -> Path:
    """``CBEC_RETENTION_KEY_FILE``; in development only, ``<data dir>-retention.key`` beside the
    data directory. Never a file inside the data directory."""
    if settings.retention_key_file is not None:
        path = settings.retention_key_file.expanduser().resolve()
    elif settings.environment == "development":
        path = settings.data_dir.parent / f"{settings.data_dir.name}-retention.key"
    else:
        raise InvalidInput(
            "set CBEC_RETENTION_KEY_FILE to a file outside the data directory before erasing personal data",
            "删除个人信息前请将 CBEC_RETENTION_KEY_FILE 设为数据目录之外的文件",
            field="retention_key_file",
        )
    if path.is_relative_to(settings.data_dir):
        raise InvalidInput(
            f"the retention key may not lie inside the data directory ({path})",
            f"保留密钥不可放在数据目录之内（{path}）",
            field="retention_key_file",
        )
    return path


def load(settings: Settings, *, create: bool) -> RetentionKey:
    """The key from its file; made (mode 0600) when missing and ``create``."""
    path = key_path(settings)
    if not path.exists():
        if not create:
            raise InvalidInput(f"no retention key at {path}", f"保留密钥文件不存在：{path}", field="retention_key_file")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key() + b"\n")
    key = path.read_bytes().strip()
    try:
        Fernet(key)
    except ValueError:
        raise InvalidInput(
            f"{path} does not hold a Fernet key", f"{path} 不是有效的 Fernet 密钥", field="retention_key_file"
        ) from None
    return RetentionKey(key, path)
