"""What a person reads on a page, and the leftovers it must never hold: a Python repr, ``None`` where a name belongs,
template syntax, an unreplaced placeholder, doubled punctuation, a JavaScript leftover."""

import re
from html.parser import HTMLParser

LEFTOVERS = [
    (
        "a Python object's repr",
        re.compile(
            r"<(?:function|bound method|built-in|method|class |module |generator|coroutine|QuerySet|Lazy|"
            r"SimpleLazyObject|__proxy__|django\.|[A-Z]\w+: )|object at 0x|\b0x[0-9a-f]{6,}"
        ),
    ),
    ("None where a value belongs", re.compile(r"\bNone\b")),
    ("template syntax", re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")),
    ("an unreplaced placeholder", re.compile(r"%\(\w+\)[sdfr]?|%[sdr]\b")),
    # Two periods that are not an ellipsis ("p.m.." from "{{ time }}."), ",,", "::", a space before "." or ",".
    ("doubled punctuation", re.compile(r"(?<!\.)\.\.(?!\.)|,,|::|\s[.,](?![\w.])")),
    ("a JavaScript leftover", re.compile(r"\bundefined\b|\bNaN\b|\bnan\b|\[object")),
]

# Attributes whose value a person reads (or hears); ``value`` only where the field or button shows it.
READ_ATTRIBUTES = {"title", "aria-label", "aria-description", "placeholder", "alt", "label"}
SHOWN_VALUE_INPUTS = {"text", "email", "search", "url", "tel", "number", "date", "submit", "button", "reset", ""}
NOT_READ = {"script", "style", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements that end a run of text: what is inside one never joins the text of its neighbours.
BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "option", "p", "pre", "section", "select", "summary", "table", "tbody", "td", "textarea",
    "tfoot", "th", "thead", "title", "tr", "ul",
}  # fmt: skip


class ReadText(HTMLParser):
    """The runs of text of a page as a browser lays them out, and the attribute values it shows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.runs: list[str] = []
        self.current: list[str] = []
        self.skipping: list[str] = []

    def end_run(self):
        if text := " ".join("".join(self.current).split()):
            self.runs.append(text)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if self.skipping or tag in NOT_READ:
            if tag not in VOID:
                self.skipping.append(tag)
            return
        values = dict(attrs)
        for name, value in attrs:
            if value and (name in READ_ATTRIBUTES or (name == "value" and self.shows_value(tag, values))):
                self.runs.append(f"{tag}[{name}]: {' '.join(value.split())}")
        if tag in BLOCKS:
            self.end_run()

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.skipping and tag not in VOID:
            self.skipping.pop()

    def handle_endtag(self, tag):
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag in BLOCKS:
            self.end_run()

    def handle_data(self, data):
        if not self.skipping:
            self.current.append(data)

    def close(self):
        super().close()
        self.end_run()

    @staticmethod
    def shows_value(tag, attributes) -> bool:
        return tag == "input" and attributes.get("type", "").lower() in SHOWN_VALUE_INPUTS


def read_text(html: str) -> list[str]:
    """The runs of text a person reads on ``html``, and the attribute values shown, one string each."""
    parser = ReadText()
    parser.feed(html)
    parser.close()
    return parser.runs


def leftovers_in(runs) -> list[str]:
    """``kind: …snippet…`` for every leftover in ``runs`` (strings a person reads)."""
    found = []
    for run in runs:
        for kind, pattern in LEFTOVERS:
            if match := pattern.search(run):
                start, end = max(match.start() - 40, 0), match.end() + 40
                found.append(f"{kind}: …{run[start:end]}…")
    return found


def html_leftovers(html: str) -> list[str]:
    return leftovers_in(read_text(html))


def text_leftovers(text: str) -> list[str]:
    """The leftovers of a plain-text document (an email's body), line by line."""
    return leftovers_in(" ".join(line.split()) for line in text.splitlines())
