(function () {
  "use strict";
  var token = null;
  try { token = sessionStorage.getItem("loupe.token"); } catch (e) {}
  if (!token) {
    try { sessionStorage.setItem("loupe.next", location.pathname + location.search); } catch (e) {}
    location.replace("/app/signin");
    return;
  }
  document.getElementById("app").textContent = "Signed in.";
})();
