const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/**
 * `date.toISOString()` for a valid date in the years 0000-9999 (anything else is handed to it),
 * several times faster: V8's took about 0.5 µs a date, and a job's page sends hundreds of them.
 * The calendar date from the day number is Hinnant's days-to-civil algorithm (proleptic Gregorian,
 * as ECMAScript's). `iso-timestamp.test.ts` checks it against toISOString over the whole range.
 */
export function isoTimestamp(date: Date): string {
  const time = date.getTime();
  const days = Math.floor(time / DAY_MS);
  const msOfDay = time - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  if (!(year >= 0 && year <= 9999)) return date.toISOString();
  const seconds = Math.floor(msOfDay / 1000);
  return (
    TWO_DIGITS[Math.floor(year / 100)]! +
    TWO_DIGITS[year % 100]! +
    "-" +
    TWO_DIGITS[month]! +
    "-" +
    TWO_DIGITS[day]! +
    "T" +
    TWO_DIGITS[Math.floor(seconds / 3600)]! +
    ":" +
    TWO_DIGITS[Math.floor(seconds / 60) % 60]! +
    ":" +
    TWO_DIGITS[seconds % 60]! +
    "." +
    THREE_DIGITS[msOfDay % 1000]! +
    "Z"
  );
}
