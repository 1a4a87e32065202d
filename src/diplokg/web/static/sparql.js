// Progressive enhancement only: the page works without this file.
// Ctrl+Enter (or Cmd+Enter) in the editor runs the query.
document.addEventListener("DOMContentLoaded", function () {
  var area = document.getElementById("query");
  var form = document.getElementById("query-form");
  if (!area || !form) { return; }
  area.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.submit();
    }
  });
});
