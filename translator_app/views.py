"""HTTP views on the worker's built-in web server (Faust's aiohttp). No model code here."""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response, View

from .app import app
from .records import FinalTranslation
from .tables import final_table

__all__ = ("ArticleView",)


@app.page("/articles/{article_id}")
class ArticleView(View):
    """``GET /articles/{id}``: the final translation of one article, or 404."""

    @app.table_route(table=final_table, match_info="article_id")  # type: ignore[arg-type]
    async def get(self, request: Request, article_id: str) -> Response:
        """Answer from the worker that owns the id's partition; Faust forwards the rest."""
        record: FinalTranslation | None = final_table.get(article_id.encode("utf-8"))
        if record is None:
            body: dict[str, Any] = {"error": "not_found", "detail": f"no translation for article {article_id!r}"}
            return self.json(body, status=404)
        return self.json(record.asdict())
