# An exported notebook: magics appear through IPython's API.
get_ipython().run_line_magic("pip", "install pandas")  # want: AL104
get_ipython().system("pip install -q seaborn")  # want: AL104
get_ipython().system("ls -la")  # want: AL201
get_ipython().run_cell_magic("bash", "", "conda install -y numpy\n")  # want: AL104
get_ipython().run_line_magic("matplotlib", "inline")
%pip install plotly  # want: AL104
!pip install dash  # want: AL104
!echo hi  # want: AL201
x = 1
