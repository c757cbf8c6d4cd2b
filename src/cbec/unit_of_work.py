"""The unit of work: one per CLI command, request or job. Only it commits."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from cbec.config import Settings, get_settings
from cbec.db import engine_for


class UnitOfWork:
    """``with UnitOfWork() as uow: service(uow.session, …); uow.commit()``.

    Leaving the block without ``commit()`` rolls everything back, so a failed command leaves no
    half-written state.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._factory = sessionmaker(bind=engine_for(self.settings.database_url), expire_on_commit=False)

    def __enter__(self) -> UnitOfWork:
        self.session: Session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() ends the transaction (rolling back anything not committed) without expiring
        # what was loaded, so results read inside the block stay readable after it
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
