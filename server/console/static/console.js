// 入户审核台: a photo thumbnail opens its large version in a dialog
// (Esc or 关闭 closes it); without script the link opens the large photo.
document.addEventListener("click", function (e) {
  var a = e.target.closest && e.target.closest("a.lightbox");
  var dlg = document.getElementById("photo-dialog");
  if (!a || !dlg || typeof dlg.showModal !== "function" || e.ctrlKey || e.metaKey || e.shiftKey) {
    return;
  }
  e.preventDefault();
  var img = dlg.querySelector("img");
  img.src = a.href;
  img.alt = (a.querySelector("img") || {}).alt || "";
  dlg.showModal();
});
