import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Sparkline, sparkPath } from "./Sparkline";

describe("Sparkline", () => {
  it("draws a path across the box, lifting the pen over missing values", () => {
    expect(sparkPath([0, 1, null, 1], 30, 12, [0, 1])).toBe("M0.0,11.0L10.0,1.0M30.0,1.0");
  });

  it("draws nothing for a series without a value", () => {
    expect(sparkPath([null, null], 30, 12)).toBe("");
  });

  it("is an image labelled with its numbers", () => {
    const { getByRole } = render(<Sparkline values={[1, 2, 3]} label="checkout records per hour: 1, 2, 3" />);
    const image = getByRole("img");
    expect(image.getAttribute("aria-label")).toBe("checkout records per hour: 1, 2, 3");
    expect(image.querySelector("path")?.getAttribute("d")).toMatch(/^M0\.0,27\.0L60\.0,14\.0L120\.0,1\.0$/);
  });
});
