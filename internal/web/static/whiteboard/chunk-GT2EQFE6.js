import{e as r}from"./chunk-LXAOYEKV.js";r();async function o(){throw new Error("Mermaid diagrams are not part of this whiteboard")}export{o as parseMermaidToExcalidraw};
