"""Pure parsers, one module per format: ``parse(data: bytes, ctx: ParseContext) -> ParseResult``."""
