import{a as o,b as r,c as t}from"./chunk-R7YCI7UB.js";import"./chunk-PVCGWI52.js";import{e as a}from"./chunk-LXAOYEKV.js";a();export{t as default,o as en,r as kaa};
