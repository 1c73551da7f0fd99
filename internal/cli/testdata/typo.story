people Robin
crt Morgan

day 1
09:00  Morgan acknowledges Robn's alert
