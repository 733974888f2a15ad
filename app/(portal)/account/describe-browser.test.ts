import { describe, expect, it } from "vitest";
import { describeBrowser } from "./describe-browser";

describe("describeBrowser", () => {
  it("names the browser and system a person would recognise", () => {
    expect(
      describeBrowser(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
      ),
    ).toBe("Microsoft Edge on Windows");
    expect(
      describeBrowser(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
      ),
    ).toBe("Safari on iOS");
  });

  it("says so when the browser sent nothing", () => {
    expect(describeBrowser(null)).toBe("Unknown browser");
  });
});
