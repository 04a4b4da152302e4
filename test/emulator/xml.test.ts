// The emulator's own XML: escaping what it writes, and parsing the few documents clients send, strictly.
import { describe, expect, it } from "vitest";
import { childrenOf, escapeXml, parseXml, textOf, xmlDocument, XmlSyntaxError } from "../../emulator/xml.ts";

describe("xmlDocument", () => {
  it("writes a declaration, nested elements and repeated elements for arrays, escaping text", () => {
    const xml = xmlDocument("Root", { Name: "a & <b>", Item: [{ Key: "1" }, { Key: "2" }], Skipped: undefined, Count: 3, Flag: true });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Root><Name>a &amp; &lt;b&gt;</Name><Item><Key>1</Key></Item><Item><Key>2</Key></Item><Count>3</Count><Flag>true</Flag></Root>',
    );
  });

  it("writes control characters as character references and leaves quotes alone", () => {
    expect(escapeXml('"\u0001\r')).toBe('"&#1;&#13;');
  });
});

describe("parseXml", () => {
  it("reads elements, entities, character references, CDATA, comments and attributes", () => {
    const document = parseXml(
      '\uFEFF<?xml version="1.0"?>\n<!-- c --><Delete xmlns="http://example.com"><Quiet>true</Quiet><Object><Key>a &amp; b &#x4E2D;&#25991;</Key></Object><Object><Key><![CDATA[<raw>]]></Key></Object><Empty/></Delete>',
    );
    expect(document.name).toBe("Delete");
    expect(textOf(document, "Quiet")).toBe("true");
    expect(childrenOf(document, "Object").map((o) => textOf(o, "Key"))).toEqual(["a & b 中文", "<raw>"]);
    expect(textOf(document, "Empty")).toBe("");
  });

  it("refuses DOCTYPE declarations, so that no entity can be expanded", () => {
    expect(() => parseXml('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')).toThrow(XmlSyntaxError);
  });

  it("refuses mismatched tags, unknown entities, unterminated documents and trailing content", () => {
    for (const text of ["<a></b>", "<a>&nope;</a>", "<a><b></b>", "<a/><b/>", "<a>&amp</a>", "text"]) {
      expect(() => parseXml(text), text).toThrow(XmlSyntaxError);
    }
  });
});
