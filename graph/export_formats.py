"""Writers of a projected network for visualization tools, each streaming to a binary output so that memory
follows the projection, never the serialized file.

GEXF 1.3 (Gephi: typed `kind` on every edge, dynamic spells for the timeline), GraphML (yEd, Cytoscape,
networkx), Cytoscape.js elements, CX2 (Cytoscape, NDEx), D3 node-link, graphology (Sigma.js), DOT
(Graphviz, every id quoted; a relation two states share, as a meeting, drawn without an arrow) and a zip of
Neo4j `neo4j-admin import` CSV files. Node ids are IRIs; every edge has its own id, so parallel edges of
different types survive in every format. Every graph is directed, a shared relation's edge going from the
lesser IRI: GEXF and GraphML could mark such an edge undirected, but networkx refuses to read a graph that
mixes both ("Undirected edge found in directed graph").
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from graph.network_edges import SHARED_FACTS

NODE_FIELDS = ("label", "type", "iri", "code", "start", "end", "sources")
EDGE_FIELDS = ("label", "type", "iri", "start", "end", "precision", "sources")


def _text_writer(out: IO[bytes]) -> Callable[[str], None]:
    def write(text: str) -> None:
        out.write(text.encode("utf-8"))

    return write


def _nodes(network: nx.MultiDiGraph) -> list[tuple[str, dict[str, str]]]:
    return [
        (str(n), {k: str(v) for k, v in data.items() if v not in (None, "")}) for n, data in network.nodes(data=True)
    ]


def _edges(network: nx.MultiDiGraph) -> list[tuple[str, str, str, dict[str, str]]]:
    return [
        (str(a), str(b), str(key), {k: str(v) for k, v in data.items() if v not in (None, "") and k != "id"})
        for a, b, key, data in network.edges(keys=True, data=True)
    ]


def write_gexf(network: nx.MultiDiGraph, out: IO[bytes]) -> None:
    write = _text_writer(out)
    write('<?xml version="1.0" encoding="UTF-8"?>\n<gexf xmlns="http://gexf.net/1.3" version="1.3">\n')
    write("<meta><creator>bilateral</creator><description>Bilateral relations between states</description></meta>\n")
    write('<graph defaultedgetype="directed" mode="dynamic" timeformat="date">\n')
    for kind, fields in (("node", NODE_FIELDS), ("edge", EDGE_FIELDS)):
        write(f'<attributes class="{kind}">')
        for number, name in enumerate(fields):
            write(f'<attribute id="{kind[0]}{number}" title="{name}" type="string"/>')
        write("</attributes>\n")
    write("<nodes>\n")
    for node, data in _nodes(network):
        label = quoteattr(data.get("label", node))
        write(f"<node id={quoteattr(node)} label={label}>{_attvalues('n', NODE_FIELDS, data)}</node>\n")
    write("</nodes>\n<edges>\n")
    for a, b, key, data in _edges(network):
        spell = "".join(f' {name}="{data[name]}"' for name in ("start", "end") if _is_date(data.get(name)))
        kind = data.get("type", "related")
        label = quoteattr(data.get("label", kind))
        write(
            f"<edge id={quoteattr(key)} source={quoteattr(a)} target={quoteattr(b)} kind={quoteattr(kind)}"
            f" label={label}{spell}>{_attvalues('e', EDGE_FIELDS, data)}</edge>\n"
        )
    write("</edges>\n</graph>\n</gexf>\n")


def _is_date(value: str | None) -> bool:
    return bool(value) and len(value or "") == 10 and (value or "")[4] == "-"


def _attvalues(prefix: str, fields: tuple[str, ...], data: dict[str, str]) -> str:
    values = "".join(
        f'<attvalue for="{prefix}{i}" value={quoteattr(data[f])}/>' for i, f in enumerate(fields) if f in data
    )
    return f"<attvalues>{values}</attvalues>" if values else ""


def write_graphml(network: nx.MultiDiGraph, out: IO[bytes]) -> None:
    write = _text_writer(out)
    write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/'
        'xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
    )
    for kind, fields in (("node", NODE_FIELDS), ("edge", EDGE_FIELDS)):
        for name in fields:
            write(f'<key id="{kind[0]}_{name}" for="{kind}" attr.name="{name}" attr.type="string"/>\n')
    write('<graph id="bilateral" edgedefault="directed">\n')
    # GraphML ids are XML name tokens, which IRIs are not: nodes are n0, n1, … and their IRI is an attribute.
    numbers = {}
    for number, (node, data) in enumerate(_nodes(network)):
        numbers[node] = f"n{number}"
        values = "".join(f'<data key="n_{f}">{escape(data[f])}</data>' for f in NODE_FIELDS if f in data)
        write(f'<node id="n{number}">{values}</node>\n')
    for number, (a, b, _key, data) in enumerate(_edges(network)):
        values = "".join(f'<data key="e_{f}">{escape(data[f])}</data>' for f in EDGE_FIELDS if f in data)
        write(f'<edge id="e{number}" source="{numbers[a]}" target="{numbers[b]}">{values}</edge>\n')
    write("</graph>\n</graphml>\n")


def _json(document: Any, out: IO[bytes]) -> None:
    out.write(json.dumps(document, ensure_ascii=False).encode("utf-8"))


def write_cytoscape(network: nx.MultiDiGraph, out: IO[bytes]) -> None:
    nodes = [{"data": {"id": n, **d}} for n, d in _nodes(network)]
    edges = [{"data": {"id": k, "source": a, "target": b, **d}} for a, b, k, d in _edges(network)]
    _json({"elements": {"nodes": nodes, "edges": edges}}, out)


def write_cx2(network: nx.MultiDiGraph, out: IO[bytes]) -> None:
    numbers = {node: number for number, (node, _d) in enumerate(_nodes(network))}
    declarations = {
        "nodes": {f: {"d": "string"} for f in NODE_FIELDS},
        "edges": {f: {"d": "string"} for f in EDGE_FIELDS},
    }
    nodes = [{"id": numbers[n], "v": {"name": d.get("label", n), **d}} for n, d in _nodes(network)]
    edges = [
        {"id": i, "s": numbers[a], "t": numbers[b], "v": {"interaction": d.get("type", "related"), **d}}
        for i, (a, b, _k, d) in enumerate(_edges(network))
    ]
    declarations["nodes"]["name"] = {"d": "string"}
    declarations["edges"]["interaction"] = {"d": "string"}
    _json(
        [
            {"CXVersion": "2.0", "hasFragments": False},
            {
                "metaData": [
                    {"name": "attributeDeclarations", "elementCount": 1},
                    {"name": "networkAttributes", "elementCount": 1},
                    {"name": "nodes", "elementCount": len(nodes)},
                    {"name": "edges", "elementCount": len(edges)},
                ]
            },
            {"attributeDeclarations": [declarations]},
            {"networkAttributes": [{"name": "bilateral", "description": "Bilateral relations between states"}]},
            {"nodes": nodes},
            {"edges": edges},
            {"status": [{"error": "", "success": True}]},
        ],
        out,
    )


def write_d3(network: nx.MultiDiGraph, out: IO[bytes]) -> None:
    _json(
        {
            "directed": True,
            "multigraph": True,
            "nodes": [{"id": n, **d} for n, d in _nodes(network)],
            "links": [{"id": k, "source": a, "target": b, **d} for a, b, k, d in _edges(network)],
        },
        out,
    )


def write_graphology(network: nx.MultiDiGraph, out: IO[bytes]) -> None:
    _json(
        {
            "attributes": {"name": "bilateral"},
            "options": {"type": "directed", "multi": True, "allowSelfLoops": True},
            "nodes": [{"key": n, "attributes": d} for n, d in _nodes(network)],
            "edges": [{"key": k, "source": a, "target": b, "attributes": d} for a, b, k, d in _edges(network)],
        },
        out,
    )


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_dot(network: nx.MultiDiGraph, out: IO[bytes]) -> None:
    write = _text_writer(out)
    write("digraph bilateral {\n  node [shape=box];\n")
    for node, data in _nodes(network):
        attributes = ", ".join(f"{k}={_dot_id(v)}" for k, v in data.items())
        write(f"  {_dot_id(node)} [{attributes}];\n")
    for a, b, key, data in _edges(network):
        shown = {"id": key, **data, **({"dir": "none"} if data.get("type") in SHARED_FACTS else {})}
        attributes = ", ".join(f"{k}={_dot_id(v)}" for k, v in shown.items())
        write(f"  {_dot_id(a)} -> {_dot_id(b)} [{attributes}];\n")
    write("}\n")


def write_csv(network: nx.MultiDiGraph, out: IO[bytes]) -> None:
    """A zip of nodes.csv and edges.csv with `neo4j-admin database import` headers."""
    nodes, edges = io.StringIO(), io.StringIO()
    node_writer = csv.writer(nodes)
    node_writer.writerow(["iri:ID", *[f for f in NODE_FIELDS if f != "iri"], ":LABEL"])
    for node, data in _nodes(network):
        node_writer.writerow([node, *[data.get(f, "") for f in NODE_FIELDS if f != "iri"], data.get("type", "Node")])
    edge_writer = csv.writer(edges)
    edge_writer.writerow([":START_ID", ":END_ID", ":TYPE", "id", *EDGE_FIELDS])
    for a, b, key, data in _edges(network):
        edge_writer.writerow(
            [a, b, data.get("type", "related").upper().replace("-", "_"), key, *[data.get(f, "") for f in EDGE_FIELDS]]
        )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("nodes.csv", nodes), ("edges.csv", edges)):
            # a fixed date (zip's earliest), not the clock's: the same network zips to the same bytes
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(entry, text.getvalue(), compress_type=zipfile.ZIP_DEFLATED)


WRITERS: dict[str, tuple[Callable[[nx.MultiDiGraph, IO[bytes]], None], str, str]] = {
    "gexf": (write_gexf, "application/gexf+xml", "gexf"),
    "graphml": (write_graphml, "application/graphml+xml", "graphml"),
    "cytoscape": (write_cytoscape, "application/json", "cyjs"),
    "cx2": (write_cx2, "application/json", "cx2"),
    "d3": (write_d3, "application/json", "json"),
    "graphology": (write_graphology, "application/json", "json"),
    "dot": (write_dot, "text/vnd.graphviz", "dot"),
    "csv": (write_csv, "application/zip", "zip"),
}
"""format name -> (writer, media type, file extension)."""
