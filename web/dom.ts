/** A few DOM helpers, so a section reads as the markup it builds. */

type Child = Node | string

export const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: ReadonlyArray<Child>
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value)
  element.append(...children)
  return element
}

/** A section of the page: a heading, then its content. */
export const section = (id: string, title: string, ...children: ReadonlyArray<Child>) =>
  el("section", { id }, el("h2", {}, title), ...children)

/** Shows a value as pretty JSON (or text) in `output`. */
export const show = (output: HTMLElement, value: unknown) => {
  output.textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2)
}
