/** The anchors GitHub gives a Markdown document's headings (lower case, punctuation dropped, spaces to dashes). */
export function anchorsOf(markdown: string): string[] {
  const anchors: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = (m[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let unique = slug;
    for (let n = 1; anchors.includes(unique); n += 1) unique = `${slug}-${n}`;
    anchors.push(unique);
  }
  return anchors;
}
