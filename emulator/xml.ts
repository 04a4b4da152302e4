// The XML the service speaks: a tiny escaping serializer for responses, and a small strict parser for the few
// flat request documents (CompleteMultipartUpload, Delete, Tagging, CORSConfiguration, CreateBucketConfiguration).
// Purpose-built rather than a dependency: these documents are small, and a strict parser that refuses DOCTYPEs
// cannot be made to expand entities.

/** A value to serialize: text, a nested element, or an array (one element per item, same name). */
export type XmlValue = string | number | boolean | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/** A parsed element: its name, child elements in order, and its own text (entities decoded). */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

/** Thrown by `parseXml` for anything that is not a well-formed document. */
export class XmlSyntaxError extends Error {}

/** `<?xml …?>` and one root element holding `body`. */
export function xmlDocument(root: string, body: XmlObject | string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element(root, body)}`;
}

/**
 * Text escaped for element content: `&`, `<` and `>`, and the control characters (a key may hold any) as
 * character references. Quotes stay as they are, as in the service's documents (`<ETag>"…"</ETag>`).
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f]/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      default:
        return `&#${c.charCodeAt(0)};`;
    }
  });
}

/** The first child named `name`, if any. */
export function childOf(parent: XmlElement, name: string): XmlElement | undefined {
  return parent.children.find((c) => c.name === name);
}

/** Every child named `name`. */
export function childrenOf(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((c) => c.name === name);
}

/** The text of the first child named `name`, if that child exists. */
export function textOf(parent: XmlElement, name: string): string | undefined {
  return childOf(parent, name)?.text;
}

/** Parses one document; throws `XmlSyntaxError` on anything malformed, and refuses DOCTYPE. */
export function parseXml(source: string): XmlElement {
  return new Parser(source).document();
}

function element(name: string, value: XmlValue): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join("");
  if (typeof value === "object") {
    let inner = "";
    for (const [childName, childValue] of Object.entries(value)) inner += element(childName, childValue);
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const MAX_DEPTH = 32;

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  document(): XmlElement {
    this.misc();
    if (this.src.startsWith("<!DOCTYPE", this.pos)) throw new XmlSyntaxError("DOCTYPE is not allowed");
    if (this.src[this.pos] !== "<") throw new XmlSyntaxError("expected a root element");
    const root = this.element(0);
    this.misc();
    if (this.pos !== this.src.length) throw new XmlSyntaxError("content after the root element");
    return root;
  }

  // Whitespace, comments and processing instructions (the XML declaration among them).
  private misc(): void {
    for (;;) {
      while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
      if (this.src.startsWith("<?", this.pos)) this.skipPast("?>");
      else if (this.src.startsWith("<!--", this.pos)) this.skipPast("-->");
      else return;
    }
  }

  private skipPast(end: string): string {
    const at = this.src.indexOf(end, this.pos);
    if (at < 0) throw new XmlSyntaxError(`unterminated construct, expected ${end}`);
    const skipped = this.src.slice(this.pos, at);
    this.pos = at + end.length;
    return skipped;
  }

  private name(): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.src);
    if (!match) throw new XmlSyntaxError(`expected a name at ${this.pos}`);
    this.pos += match[0].length;
    return match[0];
  }

  private element(depth: number): XmlElement {
    if (depth > MAX_DEPTH) throw new XmlSyntaxError("document nested too deeply");
    this.pos++; // "<"
    const name = this.name();
    // Attributes (namespaces and the like) carry nothing these documents need: check their form, drop them.
    for (;;) {
      const before = this.pos;
      while (/\s/.test(this.src[this.pos] ?? "")) this.pos++;
      const c = this.src[this.pos];
      if (c === "/" && this.src[this.pos + 1] === ">") {
        this.pos += 2;
        return { name, children: [], text: "" };
      }
      if (c === ">") {
        this.pos++;
        break;
      }
      if (this.pos === before) throw new XmlSyntaxError(`malformed start tag <${name}>`);
      this.name();
      while (/\s/.test(this.src[this.pos] ?? "")) this.pos++;
      if (this.src[this.pos] !== "=") throw new XmlSyntaxError("expected = in attribute");
      this.pos++;
      while (/\s/.test(this.src[this.pos] ?? "")) this.pos++;
      const quote = this.src[this.pos];
      if (quote !== '"' && quote !== "'") throw new XmlSyntaxError("expected a quoted attribute value");
      this.pos++;
      const end = this.src.indexOf(quote, this.pos);
      if (end < 0) throw new XmlSyntaxError("unterminated attribute value");
      decodeEntities(this.src.slice(this.pos, end));
      this.pos = end + 1;
    }
    const children: XmlElement[] = [];
    let text = "";
    for (;;) {
      if (this.pos >= this.src.length) throw new XmlSyntaxError(`unterminated element <${name}>`);
      if (this.src.startsWith("</", this.pos)) {
        this.pos += 2;
        const closing = this.name();
        if (closing !== name) throw new XmlSyntaxError(`</${closing}> closes <${name}>`);
        while (/\s/.test(this.src[this.pos] ?? "")) this.pos++;
        if (this.src[this.pos] !== ">") throw new XmlSyntaxError("malformed end tag");
        this.pos++;
        return { name, children, text };
      }
      if (this.src.startsWith("<![CDATA[", this.pos)) {
        this.pos += 9;
        text += this.skipPast("]]>");
      } else if (this.src.startsWith("<!--", this.pos)) {
        this.skipPast("-->");
      } else if (this.src.startsWith("<?", this.pos)) {
        this.skipPast("?>");
      } else if (this.src[this.pos] === "<") {
        children.push(this.element(depth + 1));
      } else {
        const next = this.src.indexOf("<", this.pos);
        const end = next < 0 ? this.src.length : next;
        text += decodeEntities(this.src.slice(this.pos, end));
        this.pos = end;
      }
    }
  }
}

function decodeEntities(raw: string): string {
  if (raw.includes("<")) throw new XmlSyntaxError("< in text");
  return raw.replace(/&([^;&]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(";")) throw new XmlSyntaxError("unterminated entity reference");
    switch (body) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
    }
    const code = /^#x([0-9a-fA-F]+)$/.test(body)
      ? parseInt(body.slice(2), 16)
      : /^#([0-9]+)$/.test(body)
        ? parseInt(body.slice(1), 10)
        : NaN;
    if (!Number.isFinite(code) || code > 0x10ffff) throw new XmlSyntaxError(`unknown entity &${body};`);
    return String.fromCodePoint(code);
  });
}
