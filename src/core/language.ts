// Language of a post when the origin does not say: Chinese when Han characters make up a fair
// share of the letters, English otherwise. Deterministic and cheap.

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/g;
const LATIN = /[A-Za-z]/g;

export function detectLanguage(text: string, fallback = 'en'): string {
  const plain = text.replace(/<[^<>]*>/g, ' '); // [^<>]: linear even on a run of '<'
  const han = plain.match(HAN)?.length ?? 0;
  const latin = plain.match(LATIN)?.length ?? 0;
  if (han === 0 && latin === 0) return fallback;
  // A Han character carries about a word; weigh it against Latin letters accordingly.
  return han * 4 >= latin ? 'zh' : 'en';
}
