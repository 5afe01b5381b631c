"""Page numbers for a list shown a page at a time: what the `pagination` macro (templates/forms.html) asks of it."""


class PageNumbers:
    """Mixed into a page of results that has `page` (from 1), `per_page` and `total_rows` (on all pages)."""

    page: int
    per_page: int
    total_rows: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_rows // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
