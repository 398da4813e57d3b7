// A little JavaScript; every page works without it (forms post, the job page refreshes itself).
(function () {
  "use strict";
  // a form being sent cannot be sent twice, and says it is working
  var forms = document.querySelectorAll("form");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) {
      var buttons = event.target.querySelectorAll("button[type=submit]");
      for (var j = 0; j < buttons.length; j++) {
        buttons[j].disabled = true;
        buttons[j].setAttribute("data-label", buttons[j].textContent);
        buttons[j].textContent = "处理中……";
      }
      // a download leaves the page where it was: let the buttons work again
      setTimeout(function () {
        for (var j = 0; j < buttons.length; j++) {
          buttons[j].disabled = false;
          buttons[j].textContent = buttons[j].getAttribute("data-label");
        }
      }, 8000);
    });
  }
  // the job page: follow the progress without reloading, then show the result
  var job = document.getElementById("job");
  if (job && window.fetch) {
    var bar = job.querySelector("progress"), done = document.getElementById("done");
    var poll = function () {
      fetch(job.getAttribute("data-state"), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
        bar.value = s.done; done.textContent = s.done;
        if (s.finished) { window.location.reload(); } else { setTimeout(poll, 500); }
      }).catch(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 300);
  }
  // a printed list of links: one button
  var printer = document.getElementById("print");
  if (printer) { printer.addEventListener("click", function () { window.print(); }); }
})();
