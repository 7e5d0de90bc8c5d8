// A tiny PDF writer for tests: one page per string, each line of the string a line of
// Helvetica text, with a correct cross-reference table (each object's byte offset), so poppler
// and pdftotext read it as any PDF. With { encrypted: true } the file carries a standard
// security handler whose passwords match nothing, as a password-protected PDF looks to a
// reader without the password. Text: printable ASCII without '(', ')' or '\'.
'use strict';

function pageContent(text) {
  const lines = text.split('\n').map((line) => `(${line}) Tj T*`);
  return `BT /F1 12 Tf 14 TL 72 750 Td\n${lines.join('\n')}\nET\n`;
}

function makePdf(pages, { encrypted = false } = {}) {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Count ${pages.length} /Kids [${pages.map((_, i) => ` ${4 + 2 * i} 0 R`).join('')} ] >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  pages.forEach((text, i) => {
    const content = pageContent(text);
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`);
    objects.push(`<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}endstream`);
  });
  if (encrypted) {
    objects.push('<< /Filter /Standard /V 1 /R 2 /P -4 /O <' + '0123456789abcdef'.repeat(4) + '> /U <' + 'fedcba9876543210'.repeat(4) + '> >>');
  }
  let out = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R`;
  if (encrypted) out += ` /Encrypt ${objects.length} 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]`;
  out += ` >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/* A one-page PDF that never finishes (a "PDF bomb"): the page draws form X0 ten times, X0 draws
 * X1 ten times, ... 10^levels drawings in a few kilobytes; at 12 levels poppler works on page 1
 * for days with flat memory. Same as tests/unit/ai/minipdf.c's minipdf_write_form_bomb. */
function makeFormBombPdf(levels = 12) {
  const ten = Array(10).fill('/X Do').join(' ');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Count 1 /Kids [3 0 R] >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${ten.length + 1} >>\nstream\n${ten}\nendstream`,
  ];
  for (let i = 0; i < levels; i++) {
    const last = i === levels - 1;
    const body = last ? '0 0 m 1 1 l S' : ten;
    const resources = last ? '<< >>' : `<< /XObject << /X ${6 + i} 0 R >> >>`;
    objects.push(`<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources ${resources} /Length ${body.length + 1} >>\nstream\n${body}\nendstream`);
  }
  let out = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

module.exports = { makePdf, makeFormBombPdf };
