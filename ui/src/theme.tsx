// Light and dark: the system's choice unless the person picks one (kept in localStorage).
// CSS reads `data-theme` on <html>; charts, drawn on canvas, take the palette from here.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";

export type ThemeChoice = "system" | "light" | "dark";
export type Theme = "light" | "dark";

export interface Palette {
  text: string;
  grid: string;
  accent: string;
  danger: string;
  warn: string;
  ok: string;
  muted: string;
  series: string[];
}

const PALETTES: Record<Theme, Palette> = {
  light: {
    text: "#1f2328",
    grid: "rgba(31,35,40,0.12)",
    accent: "#1f6feb",
    danger: "#cf222e",
    warn: "#9a6700",
    ok: "#1a7f37",
    muted: "#6e7781",
    series: ["#1f6feb", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#0a7ea4"],
  },
  dark: {
    text: "#e6edf3",
    grid: "rgba(230,237,243,0.14)",
    accent: "#58a6ff",
    danger: "#ff7b72",
    warn: "#d29922",
    ok: "#3fb950",
    muted: "#8b949e",
    series: ["#58a6ff", "#ff7b72", "#3fb950", "#bc8cff", "#ffa657", "#39c5cf"],
  },
};

const STORAGE_KEY = "observability.theme";

interface ThemeState {
  choice: ThemeChoice;
  theme: Theme;
  palette: Palette;
  setChoice: (choice: ThemeChoice) => void;
}

const ThemeContext = createContext<ThemeState>({
  choice: "system",
  theme: "light",
  palette: PALETTES.light,
  setChoice: () => undefined,
});

function systemTheme(): Theme {
  return typeof window.matchMedia === "function" && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function storedChoice(): ThemeChoice {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

export function ThemeProvider({ children }: { children: ReactNode }) {
  const [choice, setChoiceState] = useState<ThemeChoice>(storedChoice);
  const [system, setSystem] = useState<Theme>(systemTheme);
  useEffect(() => {
    if (typeof window.matchMedia !== "function") return;
    const query = window.matchMedia("(prefers-color-scheme: dark)");
    const update = () => setSystem(query.matches ? "dark" : "light");
    query.addEventListener?.("change", update);
    return () => query.removeEventListener?.("change", update);
  }, []);
  const theme = choice === "system" ? system : choice;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const setChoice = (next: ThemeChoice) => {
    try {
      if (next === "system") localStorage.removeItem(STORAGE_KEY);
      else localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // storage disabled: the choice lasts as long as the page
    }
    setChoiceState(next);
  };
  return <ThemeContext.Provider value={{ choice, theme, palette: PALETTES[theme], setChoice }}>{children}</ThemeContext.Provider>;
}

export function useTheme(): ThemeState {
  return useContext(ThemeContext);
}
