// The JupyterLab widget (anywidget): the explorer's views (ExplorerCore, above), fed by
// Python. A control change goes to Python as `controls`; Python answers with `view`,
// `limits`, `clamped` and `error`; only the panels whose data changed are redrawn.
function render({ model, el }) {
  const root = document.createElement("div");
  // the controls' keys are theirs, not JupyterLab's shortcuts (arrows, Home, End, Space)
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.addEventListener("keydown", (ev) => ev.stopPropagation());
  el.append(root);
  const ui = ExplorerCore.mount(root, {
    vocabulary: model.get("vocabulary"), mode: "widget", spectrum: true,
    onInput: (values) => { ui.sent = performance.now(); model.set("controls", values); model.save_changes(); },
    onCommand: (name) => { ui.sent = performance.now(); model.send({ command: name }); },
  });
  const sync = () => ui.setControls(model.get("controls"), model.get("limits"));
  const show = () => {
    const v = model.get("view");
    if (v && v.nd) ui.show(ExplorerCore.decode(v));
    if (ui.sent !== undefined) { ui.roundTrips = (ui.roundTrips || []).concat(performance.now() - ui.sent); ui.sent = undefined; }
  };
  model.on("change:controls", sync);
  model.on("change:limits", sync);
  model.on("change:view", show);
  model.on("change:error", () => ui.setError(model.get("error")));
  model.on("change:clamped", () => ui.setClamped(model.get("clamped")));
  sync(); show();
  ui.setError(model.get("error")); ui.setClamped(model.get("clamped"));
  el.explorer = ui;  // for tests and the curious
}
export default { render };
