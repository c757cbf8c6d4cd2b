"""One-point intake (一点接入): raw inbox, parsers, validation, normalised documents."""
