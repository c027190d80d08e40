"""Reading other systems' XML exports a record at a time, safely.

The parser is defusedxml's: a file that declares a document type or entities is refused
before anything expands (the "billion laughs" and external-entity attacks), and each
record is dropped from memory once it has been read, so a file of any size is read in
about the memory of its largest record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import ParseError, iterparse

from commentsvc.transfer.records import BadSource


def records(path: Path, names: set[str], level: int) -> Iterator[Element]:
    """Each element whose tag is in names at the given depth (1: the root's children),
    whole, in file order."""
    open_elements: list[Element] = []
    try:
        with path.open("rb") as stream:
            for event, element in iterparse(
                stream, events=("start", "end"), forbid_dtd=True, forbid_entities=True
            ):
                if event == "start":
                    open_elements.append(element)
                    continue
                open_elements.pop()
                if len(open_elements) == level:
                    if element.tag in names:
                        yield element
                    # Read: let it go (the parent keeps no finished children).
                    open_elements[-1].remove(element)
    except ParseError as exc:
        raise BadSource(f"the XML is broken: {exc}.") from exc
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        raise BadSource(
            "the file declares a document type or entities, which exports never do; "
            "it is refused unread (entities can expand without bound or read other files)."
        ) from exc
    except OSError as exc:
        raise BadSource(f"the file cannot be read ({exc.strerror or exc}).") from exc


def text(element: Element, path: str, namespaces: dict[str, str]) -> str:
    """The text of the child at path ("" when absent)."""
    found = element.find(path, namespaces)
    return (found.text or "") if found is not None else ""


def flag(element: Element, path: str, namespaces: dict[str, str]) -> bool:
    return text(element, path, namespaces).strip().lower() in ("true", "1")
