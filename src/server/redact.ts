/**
 * Source URLs go to every dashboard: strip what must not. Passwords in the userinfo part
 * (rtsp://user:pass@cam) and secret-looking query parameters are replaced with "***".
 */
const SECRET_PARAM = /token|key|pass|secret|auth|sig|credential/i;
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i;

export function redactUrl(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Unparsable but has a scheme: still hide anything that looks like userinfo.
    return url.replace(USERINFO, '$1***@');
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) parsed.searchParams.set(key, '***');
  }
  return parsed.toString();
}

/** Every URL inside free text (an error message, a quoted ffmpeg stderr line), redacted as above. */
export function redactUrlsInText(text: string): string {
  // Punctuation right after a URL ("rtsp://cam/live: Connection refused") belongs to the sentence.
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>()[\]]+/gi, (match) => {
    const [, url, tail] = /^(.*?)([:.,;]*)$/s.exec(match)!;
    return redactUrl(url!) + tail;
  });
}
