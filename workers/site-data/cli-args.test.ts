import { describe, expect, it } from "vitest";
import { parseCliArgs } from "./cli-args";

const required = ["--site", "KCH", "--database-url", "postgres://x@localhost/site", "--data-dir", "/tmp/site"];

describe("site:generate arguments", () => {
  it("parses the documented flags with defaults", () => {
    expect(parseCliArgs([...required, "--persons", "5000", "--seed", "3", "--replace"])).toEqual({
      help: false,
      options: {
        site: "KCH",
        databaseUrl: "postgres://x@localhost/site",
        dataDir: "/tmp/site",
        persons: 5000,
        seed: 3,
        schema: "public",
        replace: true,
        images: "png",
      },
    });
    expect(
      parseCliArgs([
        ...required,
        "--images",
        "pacs",
        "--pacs-url",
        "http://127.0.0.1:8042/dicom-web",
        "--pacs-auth",
        "Authorization: Basic eDp5",
      ]),
    ).toMatchObject({
      options: {
        images: "pacs",
        pacs: { url: "http://127.0.0.1:8042/dicom-web", authHeader: "Authorization: Basic eDp5" },
      },
    });
    expect(parseCliArgs(required)).toMatchObject({ options: { persons: 5000, seed: 1, replace: false } });
    expect(parseCliArgs(["--help"])).toEqual({ help: true });
  });

  it("names what is wrong", () => {
    expect(() => parseCliArgs(["--site", "KCH"])).toThrow("missing required --database-url, --data-dir");
    expect(() => parseCliArgs([...required, "--persons", "many"])).toThrow(
      '--persons must be a non-negative integer, got "many"',
    );
    expect(() => parseCliArgs([...required, "--colour", "red"])).toThrow(/Unknown option '--colour'/);
    expect(() => parseCliArgs([...required, "--seed"])).toThrow(/argument missing/);
    expect(() => parseCliArgs([...required, "--images", "jpeg"])).toThrow(
      '--images must be png, dicom or pacs, got "jpeg"',
    );
    expect(() => parseCliArgs([...required, "--images", "pacs"])).toThrow("--pacs-url goes with --images pacs");
  });
});
